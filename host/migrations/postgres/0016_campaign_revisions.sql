-- Campaign history (issue 19 item 1, docs/history.md).
--
-- Every write of a campaign keeps the revision it wrote, whole, with who wrote it (the API
-- key's label, or its role when it has none) and when. A deletion is a revision too, with
-- no body. Revisions of one id are numbered once for ever: a campaign created again after
-- its deletion goes on from the last number, so "campaign c revision r" names one body.
CREATE TABLE campaign_revisions (
    campaign_id TEXT   NOT NULL,
    revision    BIGINT NOT NULL,
    action      TEXT   NOT NULL,
    author      TEXT   NOT NULL,
    written_at  TEXT   NOT NULL,
    body        TEXT,
    PRIMARY KEY (campaign_id, revision)
);

-- What was stored before history was kept: each campaign's current revision.
INSERT INTO campaign_revisions (campaign_id, revision, action, author, written_at, body)
SELECT id, revision, CASE WHEN revision = 1 THEN 'created' ELSE 'replaced' END, '',
       updated_at, body
FROM campaigns;
