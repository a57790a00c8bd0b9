-- The server's cost of the library's append functions without network or WAL flush (benchmarks/README.md,
-- tenth pass): PL/pgSQL procedures that call a function, or make the same writes by hand, in a loop with a
-- COMMIT after each call and synchronous_commit off. Each call prints its time per call (a NOTICE).
-- Run on the benchmarks' schema after `Main reset` (which drops what this leaves):
--   PGUSER=bench PGPASSWORD=bench PGHOST=127.0.0.1 psql -d reactivees_bench -f benchmarks/pgbench/server-cost.sql
SET synchronous_commit = off;
-- One event's data and metadata, as the benchmarks write them.
CREATE FUNCTION bench.cost_payload() RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_array('{"orderId":"0b7f3c2e-5d1a-4c7e-9f3b-2a6d8e1c4b90","sku":"SKU-000123","quantity":3,"unitPrice":19.99,"currency":"EUR","note":"gift wrap please"}'::jsonb,
                                 '{"correlationId":"6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b","causationId":"7a8b9c0d-1e2f-3a4b-5c6d-7e8f9a0b1c2d","userId":"user-42"}'::jsonb)
$$;
-- A lone append of one event: append_one against a bare insert of the same row.
CREATE PROCEDURE bench.cost_lone(n int, variant text) LANGUAGE plpgsql AS $$
DECLARE
  doc jsonb := bench.cost_payload();
  base bigint := (SELECT coalesce(max(stream_version), 0) FROM bench.events WHERE stream_id = 'cost-insert');
  t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  FOR i IN 1..n LOOP
    IF variant = 'append_one' THEN
      PERFORM * FROM bench.append_one('cost-one', 'cost', -1, ARRAY[gen_random_uuid()], ARRAY['OrderPlaced'], doc, NULL::int[], NULL::text[]);
    ELSE
      INSERT INTO bench.events (event_id, stream_id, category, stream_version, event_type, data, metadata)
        VALUES (gen_random_uuid(), 'cost-insert', 'cost', base + i, 'OrderPlaced', doc -> 0, doc -> 1);
    END IF;
    COMMIT;
  END LOOP;
  RAISE NOTICE 'cost_lone %: % µs per call', variant, round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n, 1);
END $$;
-- A commit of 16 single-event appends to 16 streams: append_batch against the writes it has to make
-- (insert; + the streams' upsert; + the locks as append_batch takes them).
CREATE PROCEDURE bench.cost_batch(n int, variant text) LANGUAGE plpgsql AS $$
DECLARE
  one jsonb := bench.cost_payload();
  doc jsonb := '[]'::jsonb;
  streams text[] := ARRAY(SELECT 'cost-b-' || g FROM generate_series(1, 16) g);
  units int[] := ARRAY(SELECT g FROM generate_series(0, 15) g);
  slots int[] := ARRAY(SELECT g FROM generate_series(1, 16) g);
  ids uuid[];
  base bigint := (SELECT coalesce(max(stream_version), 0) FROM bench.events WHERE stream_id = 'cost-i-1');
  t0 timestamptz;
BEGIN
  FOR g IN 1..16 LOOP doc := doc || one; END LOOP;
  t0 := clock_timestamp();
  FOR i IN 1..n LOOP
    ids := ARRAY(SELECT gen_random_uuid() FROM generate_series(1, 16));
    IF variant = 'append_batch' THEN
      PERFORM * FROM bench.append_batch(units, slots, array_fill(-1::bigint, ARRAY[16]), array_fill(1, ARRAY[16]), streams,
                                        array_fill('cost'::text, ARRAY[16]), ids, slots, array_fill('OrderPlaced'::text, ARRAY[16]), doc,
                                        '{}'::int[], '{}'::text[]);
    ELSE
      IF variant = 'locks+insert+streams' THEN
        PERFORM pg_advisory_xact_lock(l.lk) FROM (SELECT DISTINCT hashtextextended('reactivees.stream:bench:' || s.id, 0) AS lk
                                                  FROM unnest(streams) AS s(id) ORDER BY 1) AS l;
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('reactivees.type:bench:OrderPlaced', 0));
      END IF;
      INSERT INTO bench.events (event_id, stream_id, category, stream_version, event_type, data, metadata)
        SELECT x.id, 'cost-i-' || x.g, 'cost', base + i, 'OrderPlaced', doc -> (2 * x.g::int - 2), doc -> (2 * x.g::int - 1)
        FROM unnest(ids) WITH ORDINALITY AS x(id, g);
      IF variant LIKE '%insert+streams' THEN
        INSERT INTO bench.streams AS s (stream_id, category, version) SELECT 'cost-i-' || g, 'cost', base + i FROM generate_series(1, 16) g
          ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version;
      END IF;
    END IF;
    COMMIT;
  END LOOP;
  RAISE NOTICE 'cost_batch %: % µs per commit', variant, round(extract(epoch FROM clock_timestamp() - t0) * 1e6 / n, 1);
END $$;
-- warm-up, then two alternating rounds
CALL bench.cost_lone(2000, 'append_one');
CALL bench.cost_lone(2000, 'insert');
CALL bench.cost_batch(500, 'append_batch');
CALL bench.cost_batch(500, 'insert');
DO $$ BEGIN
  FOR r IN 1..2 LOOP
    CALL bench.cost_lone(20000, 'append_one');
    CALL bench.cost_lone(20000, 'insert');
    CALL bench.cost_batch(3000, 'append_batch');
    CALL bench.cost_batch(3000, 'insert');
    CALL bench.cost_batch(3000, 'insert+streams');
    CALL bench.cost_batch(3000, 'locks+insert+streams');
  END LOOP;
END $$;
DROP PROCEDURE bench.cost_lone(int, text);
DROP PROCEDURE bench.cost_batch(int, text);
DROP FUNCTION bench.cost_payload();
