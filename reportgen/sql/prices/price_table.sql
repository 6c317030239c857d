-- The price table the snapshot's inference calls are priced with (docs/reference.md, "Expected
-- price"): one row per model, start of validity and tier, in USD per million tokens. A tier row
-- applies to a call whose input tokens (cache included) are more than tier_start (-1: the base
-- prices); a NULL cache price charges those tokens at the input price, as genai-prices does.
CREATE TABLE price_table (
    model VARCHAR NOT NULL,              -- the model as the inference calls name it
    valid_from TIMESTAMPTZ NOT NULL,     -- '-infinity' when always valid
    tier_start BIGINT NOT NULL,          -- -1 for the base tier
    input_mtok DECIMAL(38, 12),
    output_mtok DECIMAL(38, 12),
    cache_read_mtok DECIMAL(38, 12),
    cache_write_mtok DECIMAL(38, 12),
    priced_as VARCHAR NOT NULL,          -- where the prices come from: provider/model of genai-prices, or the CSV
    PRIMARY KEY (model, valid_from, tier_start)
);
