-- +goose Up
-- B2B meetings at trade fairs: the organiser's meeting programme, buyer
-- registrations, exhibitor settings and the meetings themselves.
--
-- The scheduling rules live in the database so that no interleaving of
-- requests on any number of API processes can break them:
--
--  * nobody in two meetings at once: meetings_buyer_slot is unique per
--    event, slot and buyer over the statuses that hold the buyer's time (a
--    pending request, an accepted meeting, and one that took place);
--    meetings_producer_slot does the same for the producer over accepted
--    meetings (several buyers may ask for the same producer slot; only one
--    can be accepted);
--  * no slot above its table capacity: an accepted meeting takes a numbered
--    table 1..tables (meetings_table unique per event and slot,
--    meetings_table_within_capacity bounds it). The capacity is copied onto
--    the meeting and a composite foreign key to meeting_programmes(event_id,
--    tables_count) ON UPDATE CASCADE keeps the copy equal to the current
--    capacity, so lowering it below the tables in use fails (the pattern of
--    bookings_slot_within_cap in 00030);
--  * a daily cap per participant: the same numbered-slot pattern per day
--    (buyer_day_seq over the buyer's requests and meetings, producer_day_seq
--    over the producer's accepted meetings);
--  * only registered buyers: a composite foreign key to the registration of
--    that buyer at that event;
--  * only exhibiting producers, only published fairs, never in a slot the
--    producer marked away: the trigger meetings_guard on every new request
--    and every acceptance;
--  * a pending request that expired or ended holds nothing: every index
--    above is partial on the statuses that hold time, and the CHECKs force
--    the numbered slots to NULL outside them.

CREATE TABLE meeting_programmes (
    event_id             TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    days                 TEXT NOT NULL,
    day_start            TEXT NOT NULL,
    day_end              TEXT NOT NULL,
    slot_minutes         INTEGER NOT NULL,
    tables_count         INTEGER NOT NULL,
    request_expiry_hours INTEGER NOT NULL,
    daily_cap            INTEGER NOT NULL,
    mode                 TEXT NOT NULL CONSTRAINT meeting_programmes_mode_known CHECK (mode IN ('approve', 'auto')),
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    CONSTRAINT meeting_programmes_tables_range CHECK (tables_count BETWEEN 1 AND 1000),
    CONSTRAINT meeting_programmes_slot_range CHECK (slot_minutes BETWEEN 5 AND 240),
    CONSTRAINT meeting_programmes_cap_range CHECK (daily_cap BETWEEN 1 AND 100),
    CONSTRAINT meeting_programmes_expiry_range CHECK (request_expiry_hours BETWEEN 1 AND 720),
    CONSTRAINT meeting_programmes_tables_key UNIQUE (event_id, tables_count),
    CONSTRAINT meeting_programmes_cap_key UNIQUE (event_id, daily_cap)
);

CREATE TABLE meeting_registrations (
    id                 TEXT PRIMARY KEY,
    event_id           TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    buyer_id           TEXT NOT NULL REFERENCES users (id),
    company            TEXT NOT NULL,
    interests          TEXT NOT NULL DEFAULT '',
    sourcing_provinces TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    CONSTRAINT meeting_registrations_one_per_buyer UNIQUE (event_id, buyer_id),
    CONSTRAINT meeting_registrations_key UNIQUE (id, event_id, buyer_id)
);

CREATE TABLE meeting_exhibitor_settings (
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    producer_id TEXT NOT NULL REFERENCES producers (id),
    approval    TEXT NOT NULL DEFAULT '' CONSTRAINT meeting_exhibitor_approval_known CHECK (approval IN ('', 'approve', 'auto')),
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, producer_id)
);

CREATE TABLE meeting_away (
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    producer_id TEXT NOT NULL REFERENCES producers (id),
    slot_start  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, producer_id, slot_start)
);

CREATE TABLE meetings (
    id                TEXT PRIMARY KEY,
    event_id          TEXT NOT NULL,
    registration_id   TEXT NOT NULL,
    buyer_id          TEXT NOT NULL,
    producer_id       TEXT NOT NULL REFERENCES producers (id),
    producer_province TEXT NOT NULL DEFAULT '',
    slot_start        TIMESTAMPTZ NOT NULL,
    slot_end          TIMESTAMPTZ NOT NULL,
    day               TEXT NOT NULL,
    status            TEXT NOT NULL CONSTRAINT meetings_status_known CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired', 'held', 'no_show')),
    tables_count      INTEGER NOT NULL,
    table_no          INTEGER,
    daily_cap         INTEGER NOT NULL,
    buyer_day_seq     INTEGER,
    producer_day_seq  INTEGER,
    listing_ids       TEXT NOT NULL DEFAULT '',
    product_groups    TEXT NOT NULL DEFAULT '',
    note              TEXT NOT NULL DEFAULT '',
    reason            TEXT NOT NULL DEFAULT '',
    expires_at        TIMESTAMPTZ,
    expiry_warned_at  TIMESTAMPTZ,
    reminded_at       TIMESTAMPTZ,
    inquiry_id        TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    accepted_at       TIMESTAMPTZ,
    ended_at          TIMESTAMPTZ,
    CONSTRAINT meetings_registration_fk FOREIGN KEY (registration_id, event_id, buyer_id) REFERENCES meeting_registrations (id, event_id, buyer_id),
    CONSTRAINT meetings_tables_fk FOREIGN KEY (event_id, tables_count) REFERENCES meeting_programmes (event_id, tables_count) ON UPDATE CASCADE,
    CONSTRAINT meetings_cap_fk FOREIGN KEY (event_id, daily_cap) REFERENCES meeting_programmes (event_id, daily_cap) ON UPDATE CASCADE,
    CONSTRAINT meetings_slot_ordered CHECK (slot_end > slot_start),
    CONSTRAINT meetings_table_when_accepted CHECK ((status IN ('accepted', 'held', 'no_show')) = (table_no IS NOT NULL)),
    CONSTRAINT meetings_table_within_capacity CHECK (table_no IS NULL OR table_no BETWEEN 1 AND tables_count),
    CONSTRAINT meetings_buyer_seq_when_active CHECK ((status IN ('pending', 'accepted', 'held', 'no_show')) = (buyer_day_seq IS NOT NULL)),
    CONSTRAINT meetings_producer_seq_when_accepted CHECK ((status IN ('accepted', 'held', 'no_show')) = (producer_day_seq IS NOT NULL)),
    CONSTRAINT meetings_within_daily_cap CHECK ((buyer_day_seq IS NULL OR buyer_day_seq BETWEEN 1 AND daily_cap) AND (producer_day_seq IS NULL OR producer_day_seq BETWEEN 1 AND daily_cap)),
    CONSTRAINT meetings_pending_expires CHECK (status <> 'pending' OR expires_at IS NOT NULL)
);
CREATE UNIQUE INDEX meetings_buyer_slot ON meetings (event_id, slot_start, buyer_id) WHERE status IN ('pending', 'accepted', 'held', 'no_show');
CREATE UNIQUE INDEX meetings_producer_slot ON meetings (event_id, slot_start, producer_id) WHERE status IN ('accepted', 'held', 'no_show');
CREATE UNIQUE INDEX meetings_table ON meetings (event_id, slot_start, table_no) WHERE table_no IS NOT NULL;
CREATE UNIQUE INDEX meetings_buyer_day ON meetings (event_id, day, buyer_id, buyer_day_seq) WHERE buyer_day_seq IS NOT NULL;
CREATE UNIQUE INDEX meetings_producer_day ON meetings (event_id, day, producer_id, producer_day_seq) WHERE producer_day_seq IS NOT NULL;
CREATE INDEX meetings_event_idx ON meetings (event_id, slot_start, id);
CREATE INDEX meetings_buyer_idx ON meetings (buyer_id, slot_start);
CREATE INDEX meetings_producer_idx ON meetings (producer_id, slot_start);
CREATE INDEX meetings_pending_idx ON meetings (expires_at) WHERE status = 'pending';
CREATE INDEX meetings_accepted_idx ON meetings (slot_start) WHERE status = 'accepted';

-- +goose StatementBegin
CREATE FUNCTION meetings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM events e WHERE e.id = NEW.event_id AND e.status = 'published') THEN
        RAISE EXCEPTION 'meetings_event_not_open';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM bookings k WHERE k.event_id = NEW.event_id AND k.producer_id = NEW.producer_id AND k.status = 'confirmed') THEN
        RAISE EXCEPTION 'meetings_producer_not_exhibiting';
    END IF;
    IF EXISTS (SELECT 1 FROM meeting_away a WHERE a.event_id = NEW.event_id AND a.producer_id = NEW.producer_id AND a.slot_start = NEW.slot_start) THEN
        RAISE EXCEPTION 'meetings_producer_away';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER meetings_guard_insert BEFORE INSERT ON meetings
    FOR EACH ROW WHEN (NEW.status IN ('pending', 'accepted')) EXECUTE FUNCTION meetings_guard();
CREATE TRIGGER meetings_guard_accept BEFORE UPDATE OF status ON meetings
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status = 'accepted') EXECUTE FUNCTION meetings_guard();

-- +goose Down
DROP TRIGGER meetings_guard_accept ON meetings;
DROP TRIGGER meetings_guard_insert ON meetings;
DROP FUNCTION meetings_guard();
DROP TABLE meetings;
DROP TABLE meeting_away;
DROP TABLE meeting_exhibitor_settings;
DROP TABLE meeting_registrations;
DROP TABLE meeting_programmes;
