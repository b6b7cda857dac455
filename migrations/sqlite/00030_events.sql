-- +goose Up
-- Trade fairs: events, their booths, bookings and waitlists.
--
-- The booking rules live in the database, not only in code, so that no
-- interleaving of requests on any number of API processes can break them:
--
--  * one booking holding a booth at a time: the partial unique index
--    bookings_one_active_per_booth over the statuses that hold a booth
--    (a waitlist offer, a pending hold, a confirmed booking);
--  * at most N active bookings per producer per event: each active booking
--    takes a numbered slot 1..N (bookings_producer_slot is unique per event
--    and producer, bookings_slot_within_cap bounds it by the cap). The cap is
--    copied onto the booking as event_cap, and a composite foreign key to
--    events(id, max_booths_per_producer) ON UPDATE CASCADE keeps the copy
--    equal to the event's current cap, so the CHECK always compares against
--    the real cap (lowering it below the slots in use fails the update).
--    Slots are plain rows and a unique index, which behave the same on
--    PostgreSQL and SQLite; inactive bookings give their slot up (NULL);
--  * the subsidised-booth quota: the same slot pattern per event;
--  * the booking window, the event being published and the eligibility
--    rules: the trigger bookings_guard re-checks each new hold or offer (and
--    each accepted offer) against the event row, using the qualification
--    the use case recorded on the booking (certificate stars and product
--    group, producer province).

CREATE TABLE events (
    id                      TEXT PRIMARY KEY,
    organiser_id            TEXT NOT NULL REFERENCES users (id),
    status                  TEXT NOT NULL CONSTRAINT events_status_known CHECK (status IN ('draft', 'published', 'cancelled', 'completed')),
    name                    TEXT NOT NULL,
    description             TEXT NOT NULL DEFAULT '',
    description_en          TEXT NOT NULL DEFAULT '',
    venue                   TEXT NOT NULL,
    address                 TEXT NOT NULL,
    province_code           TEXT NOT NULL,
    commune_code            TEXT NOT NULL DEFAULT '',
    time_zone               TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh',
    starts_at               TIMESTAMP NOT NULL,
    ends_at                 TIMESTAMP NOT NULL,
    booking_opens_at        TIMESTAMP NOT NULL,
    booking_closes_at       TIMESTAMP NOT NULL,
    min_stars               INTEGER NOT NULL DEFAULT 3,
    product_groups          TEXT NOT NULL DEFAULT '',
    producer_provinces      TEXT NOT NULL DEFAULT '',
    max_booths_per_producer INTEGER NOT NULL,
    subsidised_quota        INTEGER NOT NULL DEFAULT 0,
    subsidised_price_vnd    BIGINT NOT NULL DEFAULT 0,
    search_text             TEXT NOT NULL DEFAULT '',
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    published_at            TIMESTAMP,
    cancelled_at            TIMESTAMP,
    CONSTRAINT events_dates_ordered CHECK (ends_at > starts_at),
    CONSTRAINT events_window_ordered CHECK (booking_closes_at > booking_opens_at AND booking_closes_at <= ends_at),
    CONSTRAINT events_min_stars_range CHECK (min_stars = 0 OR min_stars BETWEEN 3 AND 5),
    CONSTRAINT events_cap_range CHECK (max_booths_per_producer BETWEEN 1 AND 100),
    CONSTRAINT events_subsidy_range CHECK (subsidised_quota >= 0 AND subsidised_price_vnd >= 0),
    CONSTRAINT events_cap_key UNIQUE (id, max_booths_per_producer),
    CONSTRAINT events_subsidy_key UNIQUE (id, subsidised_quota)
);
CREATE INDEX events_public_idx ON events (status, starts_at, id);
CREATE INDEX events_organiser_idx ON events (organiser_id, starts_at, id);

CREATE TABLE booths (
    id         TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code       TEXT NOT NULL,
    zone       TEXT NOT NULL,
    size_m2    REAL NOT NULL,
    price_vnd  BIGINT NOT NULL,
    x          REAL NOT NULL,
    y          REAL NOT NULL,
    width      REAL NOT NULL,
    height     REAL NOT NULL,
    features   TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT booths_code_per_event UNIQUE (event_id, code),
    CONSTRAINT booths_event_key UNIQUE (id, event_id),
    CONSTRAINT booths_sane CHECK (size_m2 > 0 AND price_vnd >= 0 AND width > 0 AND height > 0 AND x >= 0 AND y >= 0)
);
CREATE INDEX booths_zone_idx ON booths (event_id, zone, code);

CREATE TABLE bookings (
    id                        TEXT PRIMARY KEY,
    event_id                  TEXT NOT NULL,
    booth_id                  TEXT NOT NULL,
    producer_id               TEXT NOT NULL,
    user_id                   TEXT NOT NULL REFERENCES users (id),
    status                    TEXT NOT NULL CONSTRAINT bookings_status_known CHECK (status IN ('offered', 'pending', 'confirmed', 'rejected', 'cancelled', 'expired', 'declined')),
    price_vnd                 BIGINT NOT NULL,
    subsidised                BOOLEAN NOT NULL DEFAULT FALSE,
    event_cap                 INTEGER NOT NULL,
    producer_slot             INTEGER,
    subsidy_quota             INTEGER NOT NULL,
    subsidy_slot              INTEGER,
    qualifying_certificate_id TEXT NOT NULL DEFAULT '',
    qualifying_stars          INTEGER NOT NULL DEFAULT 0,
    qualifying_group          TEXT NOT NULL DEFAULT '',
    producer_province         TEXT NOT NULL DEFAULT '',
    waitlist_entry_id         TEXT,
    note                      TEXT NOT NULL DEFAULT '',
    reason                    TEXT NOT NULL DEFAULT '',
    hold_expires_at           TIMESTAMP,
    expiry_warned_at          TIMESTAMP,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL,
    confirmed_at              TIMESTAMP,
    ended_at                  TIMESTAMP,
    CONSTRAINT bookings_booth_fk FOREIGN KEY (booth_id, event_id) REFERENCES booths (id, event_id),
    CONSTRAINT bookings_event_cap_fk FOREIGN KEY (event_id, event_cap) REFERENCES events (id, max_booths_per_producer) ON UPDATE CASCADE,
    CONSTRAINT bookings_subsidy_quota_fk FOREIGN KEY (event_id, subsidy_quota) REFERENCES events (id, subsidised_quota) ON UPDATE CASCADE,
    CONSTRAINT bookings_price_sane CHECK (price_vnd >= 0),
    CONSTRAINT bookings_slot_when_active CHECK ((status IN ('pending', 'confirmed')) = (producer_slot IS NOT NULL)),
    CONSTRAINT bookings_slot_within_cap CHECK (producer_slot IS NULL OR producer_slot BETWEEN 1 AND event_cap),
    CONSTRAINT bookings_subsidy_slot_when_active CHECK ((subsidised AND status IN ('pending', 'confirmed')) = (subsidy_slot IS NOT NULL)),
    CONSTRAINT bookings_subsidy_within_quota CHECK (subsidy_slot IS NULL OR subsidy_slot BETWEEN 1 AND subsidy_quota),
    CONSTRAINT bookings_hold_has_expiry CHECK (status NOT IN ('offered', 'pending') OR hold_expires_at IS NOT NULL)
);
CREATE UNIQUE INDEX bookings_one_active_per_booth ON bookings (booth_id) WHERE status IN ('offered', 'pending', 'confirmed');
CREATE UNIQUE INDEX bookings_producer_slot ON bookings (event_id, producer_id, producer_slot) WHERE producer_slot IS NOT NULL;
CREATE UNIQUE INDEX bookings_subsidy_slot ON bookings (event_id, subsidy_slot) WHERE subsidy_slot IS NOT NULL;
CREATE INDEX bookings_event_idx ON bookings (event_id, created_at, id);
CREATE INDEX bookings_producer_idx ON bookings (producer_id, created_at, id);
CREATE INDEX bookings_holds_idx ON bookings (hold_expires_at) WHERE status IN ('offered', 'pending');

CREATE TABLE waitlist_entries (
    id                        TEXT PRIMARY KEY,
    event_id                  TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    zone                      TEXT NOT NULL,
    producer_id               TEXT NOT NULL,
    user_id                   TEXT NOT NULL REFERENCES users (id),
    status                    TEXT NOT NULL CONSTRAINT waitlist_status_known CHECK (status IN ('waiting', 'offered', 'booked', 'lapsed', 'left')),
    qualifying_certificate_id TEXT NOT NULL DEFAULT '',
    qualifying_stars          INTEGER NOT NULL DEFAULT 0,
    qualifying_group          TEXT NOT NULL DEFAULT '',
    producer_province         TEXT NOT NULL DEFAULT '',
    booking_id                TEXT,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX waitlist_one_per_producer ON waitlist_entries (event_id, zone, producer_id) WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_queue_idx ON waitlist_entries (event_id, zone, status, created_at, id);

-- SQLite has no stored functions: the same checks, in order, in each
-- trigger. RAISE(ABORT, name) reports the name as the error message.
-- +goose StatementBegin
CREATE TRIGGER bookings_guard_insert BEFORE INSERT ON bookings
FOR EACH ROW WHEN NEW.status IN ('offered', 'pending')
BEGIN
    SELECT RAISE(ABORT, 'bookings_event_not_open') FROM events e WHERE e.id = NEW.event_id AND e.status <> 'published';
    SELECT RAISE(ABORT, 'bookings_outside_window') FROM events e WHERE e.id = NEW.event_id AND (NEW.updated_at < e.booking_opens_at OR NEW.updated_at >= e.booking_closes_at);
    SELECT RAISE(ABORT, 'bookings_below_min_stars') FROM events e WHERE e.id = NEW.event_id AND NEW.qualifying_stars < e.min_stars;
    SELECT RAISE(ABORT, 'bookings_group_not_allowed') FROM events e WHERE e.id = NEW.event_id AND e.product_groups <> '' AND instr(' ' || e.product_groups || ' ', ' ' || NEW.qualifying_group || ' ') = 0;
    SELECT RAISE(ABORT, 'bookings_province_not_allowed') FROM events e WHERE e.id = NEW.event_id AND e.producer_provinces <> '' AND instr(' ' || e.producer_provinces || ' ', ' ' || NEW.producer_province || ' ') = 0;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER bookings_guard_accept BEFORE UPDATE OF status ON bookings
FOR EACH ROW WHEN OLD.status = 'offered' AND NEW.status = 'pending'
BEGIN
    SELECT RAISE(ABORT, 'bookings_event_not_open') FROM events e WHERE e.id = NEW.event_id AND e.status <> 'published';
    SELECT RAISE(ABORT, 'bookings_outside_window') FROM events e WHERE e.id = NEW.event_id AND (NEW.updated_at < e.booking_opens_at OR NEW.updated_at >= e.booking_closes_at);
    SELECT RAISE(ABORT, 'bookings_below_min_stars') FROM events e WHERE e.id = NEW.event_id AND NEW.qualifying_stars < e.min_stars;
    SELECT RAISE(ABORT, 'bookings_group_not_allowed') FROM events e WHERE e.id = NEW.event_id AND e.product_groups <> '' AND instr(' ' || e.product_groups || ' ', ' ' || NEW.qualifying_group || ' ') = 0;
    SELECT RAISE(ABORT, 'bookings_province_not_allowed') FROM events e WHERE e.id = NEW.event_id AND e.producer_provinces <> '' AND instr(' ' || e.producer_provinces || ' ', ' ' || NEW.producer_province || ' ') = 0;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER bookings_guard_accept;
DROP TRIGGER bookings_guard_insert;
DROP TABLE waitlist_entries;
DROP TABLE bookings;
DROP TABLE booths;
DROP TABLE events;
