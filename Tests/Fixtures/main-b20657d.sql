PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1-core');
INSERT INTO grdb_migrations VALUES('v2-feed');
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,          -- lower-cased name, for sorting
    version INTEGER NOT NULL DEFAULT 1,
    contact_count INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,     -- epoch milliseconds
    updated_at INTEGER NOT NULL,
    -- Lower-cased name and contacts' identifiers and names:
    -- what profile.list's query matches (see SearchIndex).
    search_doc TEXT NOT NULL DEFAULT ''
);
INSERT INTO profiles VALUES(1,'default','Zoë Müller','zoë müller',3,1,1796113418667,1796113418673,replace('zoë müller\n+49015123456703\nzoë','\n',char(10)));
INSERT INTO profiles VALUES(2,'default','Jürgen Groß','jürgen groß',3,2,1796113418674,1796113418678,replace('jürgen groß\n+4915123456703\njürgen@example.de','\n',char(10)));
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    channel TEXT NOT NULL,
    identifier TEXT NOT NULL,        -- normalized
    name TEXT,
    profile_id INTEGER REFERENCES profiles(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (workspace, channel, identifier)
);
INSERT INTO contacts VALUES(1,'default','whatsapp','+49015123456703','Zoë',1,1796113418671);
INSERT INTO contacts VALUES(2,'default','whatsapp','+4915123456703',NULL,2,1796113418672);
INSERT INTO contacts VALUES(3,'default','email','jürgen@example.de',NULL,2,1796113418676);
INSERT INTO contacts VALUES(4,'default','email','jürgen@example.de',NULL,NULL,1796113418677);
INSERT INTO contacts VALUES(5,'default','sms','+4402079460958',NULL,NULL,1796113418678);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    author TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO notes VALUES(1,'default',1,'Café am Markt',NULL,1796113418670,1796113418670);
CREATE TABLE moments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    ticket_id TEXT,
    subject TEXT,
    status TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL
);
CREATE TABLE field_definitions (
    workspace TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    type TEXT NOT NULL,
    options TEXT,                    -- JSON array, select only
    required INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (workspace, key)
) WITHOUT ROWID;
CREATE TABLE field_values (
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    workspace TEXT NOT NULL,
    key TEXT NOT NULL,
    value NOT NULL,                  -- TEXT, REAL or 0/1 by the field's type
    PRIMARY KEY (profile_id, key)
) WITHOUT ROWID;
PRAGMA writable_schema=ON;
INSERT INTO sqlite_schema(type,name,tbl_name,rootpage,sql)VALUES('table','profile_search','profile_search',0,'CREATE VIRTUAL TABLE profile_search USING fts5(
    search_doc, content = ''profiles'', content_rowid = ''id'', tokenize = ''trigram'')');
CREATE TABLE IF NOT EXISTS 'profile_search_data'(id INTEGER PRIMARY KEY, block BLOB);
INSERT INTO profile_search_data VALUES(1,X'0249');
INSERT INTO profile_search_data VALUES(10,X'000000000105050005010101020101030101040101050101');
INSERT INTO profile_search_data VALUES(137438953473,X'000000570430206d75010206010465cc882001020401036c657201020b02026c6501020a01046d75cc8801020701046f65cc88010203010475cc886c01020801037a6f650102020104cc88206d01020503026c6c01020904080908070909090809');
INSERT INTO profile_search_data VALUES(274877906945,X'000000ea04300a2b3401020e02027a6f01021e0103206d7501030601032b343901020f01033031350102120202330a01021c01033132330102150202353101021301033233340102160103330a7a01021d02023435010217010334353601021802023930010210010335313201021402023637010219010336373001021a010337303301021b0103393031010211010365720a01020c0203cc882001030401036c657201030b02026c6501030a01046d75cc8801030701046f65cc880105031f0103720a2b01020d010475cc886c01030801037a6f650105021f0104cc88206d01030503026c6c0103090408070808080708070808070807080708080808080807090a08090909');
INSERT INTO profile_search_data VALUES(412316860417,X'0000004d04302067720202080103656e20020206010367656e0202050202726f02020901046ac3bc7202020201036e2067020207010372676502020402036fc39f02020a0104c3bc7267020203040808080709080808');
INSERT INTO profile_search_data VALUES(549755813889,X'000000c304300a2b3402020d010320677202030801032b343902020e0103313233020213020235310202110103323334020214010333343502021501033435360202160202393102020f0103353132020212020236370202170103363730020218010337303302021901033931350202100103656e20020306010367656e0203050202726f02030901046ac3bc7202030201036e206702030701046fc39f0a02020b010372676502030402036fc39f02030a0104c39f0a2b02020c0203bc7267020303040808080807080808070807080808080807090809080809');
INSERT INTO profile_search_data VALUES(687194767361,X'0000013104300a2b3402030d02036ac3bc02021c010320677202030801032b343902030e01032e646502022b010330330a02021a01033132330203130202353102031101033233340203140103330a6a02021b0202343502031501033435360203160202393102030f01033531320203120202363702031701033637300203180103373033020319010339313502031001034065780202230103616d700202260103652e6402022a02026e2002030603014002022102027861020224010367656e0205051d0202726f02030901046ac3bc720205021d01036c652e02022901036d706c02022701036e20670203070202406502022201046fc39f0a02030b0103706c6502022801037267650205041d02036fc39f02030a010378616d0202250104c39f0a2b02030c0203bc72670205031d0408080808080808070808070807080708080808080807060709070a08080807090809080809');
CREATE TABLE IF NOT EXISTS 'profile_search_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;
INSERT INTO profile_search_idx VALUES(1,X'',2);
INSERT INTO profile_search_idx VALUES(2,X'',2);
INSERT INTO profile_search_idx VALUES(3,X'',2);
INSERT INTO profile_search_idx VALUES(4,X'',2);
INSERT INTO profile_search_idx VALUES(5,X'',2);
CREATE TABLE IF NOT EXISTS 'profile_search_docsize'(id INTEGER PRIMARY KEY, sz BLOB);
INSERT INTO profile_search_docsize VALUES(1,X'1f');
INSERT INTO profile_search_docsize VALUES(2,X'2a');
CREATE TABLE IF NOT EXISTS 'profile_search_config'(k PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO profile_search_config VALUES('version',4);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    type TEXT NOT NULL,
    entity TEXT NOT NULL,            -- the entity's id as JSON (a number, or a field's key)
    at INTEGER NOT NULL,             -- ms since 1970
    data TEXT NOT NULL               -- JSON: {"params":…,"result":…}
);
INSERT INTO events VALUES(1,'default','profile.created','1',1796113418669,'{"params":{"name":"Zoë Müller"},"result":{"contact_count":0,"created_at":"2026-12-01T08:23:38.667Z","fields":{},"id":1,"name":"Zoë Müller","updated_at":"2026-12-01T08:23:38.667Z","version":1}}');
INSERT INTO events VALUES(2,'default','note.added','1',1796113418670,'{"params":{"body":"Café am Markt","profile_id":1},"result":{"author":null,"body":"Café am Markt","created_at":"2026-12-01T08:23:38.670Z","id":1,"profile_id":1,"updated_at":"2026-12-01T08:23:38.670Z"}}');
INSERT INTO events VALUES(3,'default','contact.created','1',1796113418671,'{"params":{"channel":"whatsapp","identifier":"+49 (0) 151 23456703","name":"Zoë"},"result":{"contact":{"channel":"whatsapp","created_at":"2026-12-01T08:23:38.671Z","id":1,"identifier":"+49015123456703","name":"Zoë","profile_id":null},"created":true}}');
INSERT INTO events VALUES(4,'default','contact.created','2',1796113418672,'{"params":{"channel":"whatsapp","identifier":"+4915123456703"},"result":{"contact":{"channel":"whatsapp","created_at":"2026-12-01T08:23:38.672Z","id":2,"identifier":"+4915123456703","name":null,"profile_id":null},"created":true}}');
INSERT INTO events VALUES(5,'default','contact.attached','1',1796113418673,'{"params":{"contact_id":1,"profile_id":1},"result":{"contact_count":1,"created_at":"2026-12-01T08:23:38.667Z","fields":{},"id":1,"name":"Zoë Müller","updated_at":"2026-12-01T08:23:38.673Z","version":3}}');
INSERT INTO events VALUES(6,'default','profile.created','2',1796113418674,'{"params":{"name":"Jürgen Groß"},"result":{"contact_count":0,"created_at":"2026-12-01T08:23:38.674Z","fields":{},"id":2,"name":"Jürgen Groß","updated_at":"2026-12-01T08:23:38.674Z","version":1}}');
INSERT INTO events VALUES(7,'default','contact.attached','2',1796113418675,'{"params":{"contact_id":2,"profile_id":2},"result":{"contact_count":1,"created_at":"2026-12-01T08:23:38.674Z","fields":{},"id":2,"name":"Jürgen Groß","updated_at":"2026-12-01T08:23:38.675Z","version":2}}');
INSERT INTO events VALUES(8,'default','contact.created','3',1796113418676,'{"params":{"channel":"email","identifier":"jürgen@example.de"},"result":{"contact":{"channel":"email","created_at":"2026-12-01T08:23:38.676Z","id":3,"identifier":"jürgen@example.de","name":null,"profile_id":null},"created":true}}');
INSERT INTO events VALUES(9,'default','contact.created','4',1796113418677,'{"params":{"channel":"email","identifier":"jürgen@example.de"},"result":{"contact":{"channel":"email","created_at":"2026-12-01T08:23:38.677Z","id":4,"identifier":"jürgen@example.de","name":null,"profile_id":null},"created":true}}');
INSERT INTO events VALUES(10,'default','contact.attached','3',1796113418678,'{"params":{"contact_id":3,"profile_id":2},"result":{"contact_count":2,"created_at":"2026-12-01T08:23:38.674Z","fields":{},"id":2,"name":"Jürgen Groß","updated_at":"2026-12-01T08:23:38.678Z","version":3}}');
INSERT INTO events VALUES(11,'default','contact.created','5',1796113418679,'{"params":{"channel":"sms","identifier":"+44 (0)20 7946 0958"},"result":{"contact":{"channel":"sms","created_at":"2026-12-01T08:23:38.678Z","id":5,"identifier":"+4402079460958","name":null,"profile_id":null},"created":true}}');
CREATE TABLE idempotency_keys (
    workspace TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    request TEXT NOT NULL,           -- the params as canonical JSON
    answer TEXT NOT NULL,            -- the result as JSON
    at INTEGER NOT NULL,
    PRIMARY KEY (workspace, key)
) WITHOUT ROWID;
CREATE TABLE feed_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pruned_through INTEGER NOT NULL
);
INSERT INTO feed_state VALUES(1,0);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('profiles',2);
INSERT INTO sqlite_sequence VALUES('events',11);
INSERT INTO sqlite_sequence VALUES('notes',1);
INSERT INTO sqlite_sequence VALUES('contacts',5);
CREATE INDEX profiles_by_name ON profiles(workspace, name_key, id, search_doc);
CREATE INDEX profiles_by_recent ON profiles(workspace, updated_at, id, search_doc);
CREATE INDEX contacts_by_profile ON contacts(profile_id, channel, id);
CREATE INDEX contacts_by_workspace ON contacts(workspace, id);
CREATE INDEX contacts_unassigned ON contacts(workspace, id) WHERE profile_id IS NULL;
CREATE INDEX notes_by_profile ON notes(profile_id, created_at, id);
CREATE UNIQUE INDEX moments_by_ticket ON moments(workspace, ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX moments_by_contact ON moments(contact_id, started_at, id);
CREATE INDEX field_values_by_key ON field_values(workspace, key, value);
CREATE TRIGGER profiles_search_insert AFTER INSERT ON profiles BEGIN
    INSERT INTO profile_search(rowid, search_doc) VALUES (new.id, new.search_doc);
END;
CREATE TRIGGER profiles_search_delete AFTER DELETE ON profiles BEGIN
    INSERT INTO profile_search(profile_search, rowid, search_doc) VALUES ('delete', old.id, old.search_doc);
END;
CREATE TRIGGER profiles_search_update AFTER UPDATE OF search_doc ON profiles BEGIN
    INSERT INTO profile_search(profile_search, rowid, search_doc) VALUES ('delete', old.id, old.search_doc);
    INSERT INTO profile_search(rowid, search_doc) VALUES (new.id, new.search_doc);
END;
CREATE INDEX events_by_workspace ON events(workspace, seq);
CREATE INDEX events_by_time ON events(at);
CREATE INDEX idempotency_keys_by_time ON idempotency_keys(at);
PRAGMA writable_schema=OFF;
COMMIT;
