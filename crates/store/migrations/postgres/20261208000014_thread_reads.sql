-- What each person following a thread has read there (v1.23). A row means "follows": the
-- thread's author once it has a reply, everyone who replied, everyone mentioned in it. Opening
-- a thread one does not follow moves nothing.
CREATE TABLE thread_reads (
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    root_id   BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    last_read BIGINT NOT NULL,
    PRIMARY KEY (user_id, root_id)
);
CREATE INDEX thread_reads_by_root ON thread_reads (root_id);

-- Threads from before (v1.22): whoever replied follows, read up to their last reply; whoever
-- started a thread with replies follows it from its start.
INSERT INTO thread_reads (user_id, root_id, last_read)
SELECT m.user_id, m.thread_root, MAX(m.id) FROM messages m
WHERE m.thread_root IS NOT NULL GROUP BY m.user_id, m.thread_root
ON CONFLICT (user_id, root_id) DO NOTHING;
INSERT INTO thread_reads (user_id, root_id, last_read)
SELECT r.user_id, r.id, r.id FROM messages r
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.thread_root = r.id)
ON CONFLICT (user_id, root_id) DO NOTHING;
