-- Uploads are also counted per client address (guests from one address share one budget),
-- so each remembers the address it came from (IPv6 cut to its /64, as every limit counts it).
ALTER TABLE attachments ADD COLUMN client_addr TEXT;
CREATE INDEX attachments_address ON attachments (client_addr, created_ts);
