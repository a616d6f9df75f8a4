-- The agency directory (issue 16): the agencies a call or a ticket is forwarded to, kept by admins
-- (name, contact, the branches it serves, active or not). The wrap-up form picks from it
-- (wrapups.agency_id); the report groups "forwarded by agency" by its entries. Every admin change is
-- a row of agency_changes (who, when, before and after). docs/agencies.md explains it.
--
-- agency_key(name): the name compared case-, whitespace- and diacritics-insensitively ("Sở Y tế",
-- " sở  y  tế", "SO Y TE" give "so y te"); two entries may not share a key. translate() folds
-- every Latin letter with a diacritic (Latin-1, Extended-A/B, Extended Additional: all of
-- Vietnamese, đ too) to its base letter, so lower() only meets ASCII whatever the collation.
CREATE FUNCTION agency_key(name text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT btrim(regexp_replace(lower(translate(name,
        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹĐđƉɖ',
        'aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyyaabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwyaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyydddd')),
        '\s+', ' ', 'g'))
$fn$;

CREATE TABLE agencies (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    name_key    text GENERATED ALWAYS AS (agency_key(name)) STORED,
    contact     text NOT NULL DEFAULT '' CHECK (length(contact) <= 200),
    branches    smallint[] NOT NULL DEFAULT '{}' CHECK (branches <@ '{1,2,3,4}'::smallint[]),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT agencies_name_key_unique UNIQUE (name_key)
);

-- The audit of the directory: action create | edit (an admin) or migrate (this migration, by = null).
CREATE TABLE agency_changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id   integer NOT NULL REFERENCES agencies (id),
    by          text,
    action      text NOT NULL CHECK (action IN ('create', 'edit', 'migrate')),
    before      jsonb,
    after       jsonb NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_changes_agency_idx ON agency_changes (agency_id, id DESC);

ALTER TABLE wrapups ADD COLUMN agency_id integer REFERENCES agencies (id);
ALTER TABLE tickets ADD COLUMN agency_id integer REFERENCES agencies (id);

-- The free-text agencies written so far: one entry per key, named by its most used spelling (a tie:
-- the one with more diacritics, then byte order), serving the branches of the calls and tickets
-- forwarded to it (all four when none is known). Then every wrap-up and ticket points at its entry
-- and carries that name, so the report (and its roll-up, kept by migration 015's triggers) counts
-- the variants as one agency.
WITH named AS (
    SELECT w.agency AS name, c.branch FROM wrapups w LEFT JOIN calls c ON c.linkedid = w.linkedid
    WHERE w.agency IS NOT NULL AND agency_key(w.agency) <> ''
    UNION ALL
    SELECT agency, branch FROM tickets WHERE agency IS NOT NULL AND agency_key(agency) <> ''
),
spellings AS (
    SELECT agency_key(name) AS key, btrim(regexp_replace(name, '\s+', ' ', 'g')) AS spelling, count(*) AS uses
    FROM named GROUP BY 1, 2
),
chosen AS (
    SELECT DISTINCT ON (key) key, spelling FROM spellings
    ORDER BY key, uses DESC, octet_length(spelling) DESC, spelling COLLATE "C"
),
served AS (
    SELECT agency_key(name) AS key,
           array_agg(DISTINCT branch::smallint ORDER BY branch::smallint) FILTER (WHERE branch BETWEEN 1 AND 4) AS branches
    FROM named GROUP BY 1
),
made AS (
    INSERT INTO agencies (name, branches)
    SELECT c.spelling, COALESCE(s.branches, '{1,2,3,4}') FROM chosen c JOIN served s USING (key)
    RETURNING id, name, name_key, branches
)
INSERT INTO agency_changes (agency_id, by, action, after)
SELECT m.id, NULL, 'migrate', jsonb_build_object('name', m.name, 'branches', to_jsonb(m.branches),
       'spellings', (SELECT jsonb_agg(spelling ORDER BY spelling COLLATE "C") FROM spellings WHERE key = m.name_key))
FROM made m;

UPDATE wrapups w SET agency_id = a.id, agency = a.name
FROM agencies a WHERE w.agency IS NOT NULL AND agency_key(w.agency) = a.name_key;
UPDATE tickets t SET agency_id = a.id, agency = a.name
FROM agencies a WHERE t.agency IS NOT NULL AND agency_key(t.agency) = a.name_key;
