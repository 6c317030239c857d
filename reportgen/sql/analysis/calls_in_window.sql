-- Narrows `calls` to the calls of requests in the window: a request's calls come with it even
-- when they fall just outside, and orphans went by their own (earliest) created_at.
DELETE FROM calls WHERE request_id NOT IN (SELECT id FROM requests);
