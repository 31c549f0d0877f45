-- Full-text search over message text: words with the `simple` configuration (no stemming, case
-- folded), as SQLite's FTS5 `unicode61` tokenizer sees them.
CREATE INDEX messages_search ON messages USING GIN (to_tsvector('simple', text));
