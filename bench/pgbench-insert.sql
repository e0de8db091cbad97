-- pgbench's script for bench/postgres.sh: the INSERT a name-only
-- profile.create makes into the profiles table, one per transaction.
\set n random(1, 1000000000)
INSERT INTO profiles (workspace, name, name_key, created_at, updated_at, search_doc)
VALUES ('default', 'Bench ' || :n, 'bench ' || :n, 1764547200000, 1764547200000, 'bench ' || :n);
