package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.r2dbc.Database.Sql;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Creates and upgrades the event store's tables in one PostgreSQL schema. Each migration step runs
 * once, recorded in {@code schema_migrations}; the whole run holds a transaction-scoped advisory lock
 * named after the schema, so replicas that boot together migrate one after the other and the later
 * ones find nothing to do. A schema at a version newer than this library knows is refused, never
 * changed: it belongs to a newer library.
 *
 * <p>The events table is append-only: triggers reject {@code UPDATE}, {@code DELETE} and
 * {@code TRUNCATE}. Its rows are ordered by {@code (transaction_id, global_position)}: the
 * transaction id ({@code xid8}) of the commit that wrote them, then a global sequence.
 */
public final class PostgresSchemaMigrator {

    /**
     * The step that creates the table lease's table ({@link PostgresTableLease}). Its number lives here
     * only, so that merging another branch's step renumbers it in one place.
     */
    static final int LEASE_TABLE_STEP = 7;

    /**
     * The step of the dynamic consistency boundary: events' tags, their index, and the append
     * functions that lock types and tags and check append conditions. Its number lives here only.
     */
    static final int TAGS_STEP = 8;

    /**
     * The step that makes the append functions of step 8 plan their statements once per session
     * (generic plans); see {@link AppendFunction#genericPlans}. Its number lives here only.
     */
    static final int GENERIC_PLANS_STEP = 9;

    /** The step that gives the lone append a branch of its own for a single untagged event; see LoneAppend. */
    static final int SINGLE_EVENT_STEP = 10;

    /** The step whose batch append reads the streams once in a lane's commit; see AppendFunction.replaceReadingStreamsOnce. */
    static final int READ_ONCE_STEP = 11;

    /** The version of the newest migration step. */
    static final int LATEST_VERSION = READ_ONCE_STEP;

    private final Database database;
    private final SqlNames names;

    /**
     * Creates a migrator for one schema.
     *
     * @param connectionFactory where to connect; a pool or a plain factory
     * @param schema the schema to create or upgrade
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code schema} is not a valid lower-case identifier
     */
    public PostgresSchemaMigrator(ConnectionFactory connectionFactory, String schema) {
        this.database = Database.over(Objects.requireNonNull(connectionFactory, "connectionFactory must not be null"));
        this.names = new SqlNames(schema);
    }

    /**
     * Brings the schema up to date: applies, in order, every migration step it has not applied yet.
     *
     * @return a cold {@code Mono} that connects, migrates in one transaction and completes. It fails
     *     with {@link io.reactivees.core.StoreConfigurationException} when the schema is at a version
     *     newer than this library knows (upgrade the library), or when the database role may not
     *     create or change the schema (the message says what to grant); and with
     *     {@link io.reactivees.core.StoreUnavailableException} when the database cannot be reached or
     *     fails. On failure, or when cancelled, nothing of the run is kept.
     */
    public Mono<Void> migrate() {
        return migrate(LATEST_VERSION);
    }

    /**
     * Applies the steps up to version {@code upTo} only: builds the schema of an older library
     * version, for upgrade tests. {@link #migrate()} is {@code migrate(LATEST_VERSION)}.
     *
     * @throws IllegalArgumentException if {@code upTo} is not between 1 and {@link #LATEST_VERSION}
     */
    Mono<Void> migrate(int upTo) {
        if (upTo < 1 || upTo > LATEST_VERSION) {
            throw new IllegalArgumentException("upTo must be between 1 and " + LATEST_VERSION + ": " + upTo);
        }
        return database.inTransaction(connection -> migrateOn(connection, upTo))
                .onErrorMap(e -> Errors.translate(e, names, "migrating schema " + names.schema()));
    }

    /**
     * The version of the newest migration step this library knows.
     *
     * @return the schema version {@link #migrate()} brings a schema to
     */
    public static int latestVersion() {
        return LATEST_VERSION;
    }

    /**
     * The SQL of one migration step for this migrator's schema, for teams that migrate with their own
     * tool (Flyway, Liquibase) and start the store with migration off: run the scripts of versions 1
     * to {@link #latestVersion()} in order, each once, each in one transaction. A script creates the
     * schema and the {@code schema_migrations} table when they are missing and records its step there,
     * so that {@link #migrate()} later finds nothing to do and still refuses a schema newer than the
     * library. The scripts for the default schema {@code reactivees} ship with this module as
     * resources: {@code io/reactivees/r2dbc/schema/V<n>__reactivees_step_<n>.sql}.
     *
     * @param version the step, from 1 to {@link #latestVersion()}
     * @return the step's statements, each ending with a semicolon and a line break
     * @throws IllegalArgumentException if {@code version} is not between 1 and {@link #latestVersion()}
     */
    public String script(int version) {
        if (version < 1 || version > LATEST_VERSION) {
            throw new IllegalArgumentException("version must be between 1 and " + LATEST_VERSION + ": " + version);
        }
        StringBuilder script = new StringBuilder("-- reactivees schema ").append(names.schema())
                .append(", migration step ").append(version).append(" (generated by PostgresSchemaMigrator.script)\n");
        for (String statement : bookkeeping()) {
            script.append(statement).append(";\n");
        }
        for (String statement : steps().get(version - 1).statements()) {
            script.append(statement).append(";\n");
        }
        return script.append("INSERT INTO ").append(names.table("schema_migrations")).append(" (version) VALUES (")
                .append(version).append(");\n").toString();
    }

    /** The statements every run starts with: the schema and the table that records the steps. */
    private List<String> bookkeeping() {
        return List.of("CREATE SCHEMA IF NOT EXISTS " + names.schemaIdentifier(),
                "CREATE TABLE IF NOT EXISTS " + names.table("schema_migrations")
                        + " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    }

    private Mono<Void> migrateOn(Connection connection, int upTo) {
        String migrations = names.table("schema_migrations");
        return Database.run(connection, Sql.of("SELECT pg_advisory_xact_lock(hashtext('reactivees.migration:' || $1))", names.schema()))
                .thenMany(Flux.fromIterable(bookkeeping()))
                .concatMap(sql -> Database.run(connection, Sql.of(sql)))
                .then(appliedVersion(connection))
                .flatMapMany(applied -> applied > LATEST_VERSION
                        ? Flux.error(new StoreConfigurationException("schema " + names.schema() + " is at version " + applied
                                + ", newer than this library knows (" + LATEST_VERSION + "): upgrade the library", null))
                        : Flux.fromIterable(steps()).filter(step -> step.version() > applied && step.version() <= upTo))
                .concatMap(step -> Flux.fromIterable(step.statements())
                        .concatMap(sql -> Database.run(connection, Sql.of(sql)))
                        .then(Database.run(connection, Sql.of("INSERT INTO " + migrations + " (version) VALUES ($1)", step.version()))))
                .then();
    }

    private Mono<Integer> appliedVersion(Connection connection) {
        return Database.rows(connection, Sql.of("SELECT coalesce(max(version), 0) AS v FROM " + names.table("schema_migrations")),
                        row -> row.get("v", Integer.class))
                .single();
    }

    record Step(int version, List<String> statements) {}

    List<Step> steps() {
        String streams = names.table("streams");
        String events = names.table("events");
        String snapshots = names.table("snapshots");
        String checkpoints = names.table("checkpoints");
        String rejectChange = names.table("reject_event_change");
        return List.of(new Step(1, List.of(
                "CREATE TABLE " + streams + " ("
                        + " stream_id text PRIMARY KEY,"
                        + " category text NOT NULL,"
                        + " version bigint NOT NULL CHECK (version >= 0))",
                "CREATE TABLE " + events + " ("
                        + " transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),"
                        + " global_position bigint GENERATED ALWAYS AS IDENTITY,"
                        + " event_id uuid NOT NULL,"
                        + " stream_id text NOT NULL,"
                        + " category text NOT NULL,"
                        + " stream_version bigint NOT NULL CHECK (stream_version >= 1),"
                        + " event_type text NOT NULL,"
                        + " data jsonb NOT NULL,"
                        + " metadata jsonb NOT NULL,"
                        + " recorded_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (transaction_id, global_position),"
                        + " CONSTRAINT events_event_id_key UNIQUE (event_id),"
                        + " CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version))",
                "CREATE INDEX events_type_order ON " + events + " (event_type, transaction_id, global_position)",
                "CREATE INDEX events_category_order ON " + events + " (category, transaction_id, global_position)",
                "CREATE FUNCTION " + rejectChange + "() RETURNS trigger LANGUAGE plpgsql AS $f$"
                        + " BEGIN RAISE EXCEPTION 'the events table is append-only: % is not allowed', TG_OP"
                        + " USING ERRCODE = 'restrict_violation'; END $f$",
                "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON " + events
                        + " FOR EACH ROW EXECUTE FUNCTION " + rejectChange + "()",
                "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON " + events
                        + " FOR EACH STATEMENT EXECUTE FUNCTION " + rejectChange + "()",
                "CREATE TABLE " + snapshots + " ("
                        + " stream_id text NOT NULL,"
                        + " snapshot_type text NOT NULL,"
                        + " stream_version bigint NOT NULL,"
                        + " schema_version integer NOT NULL,"
                        + " data jsonb NOT NULL,"
                        + " taken_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (stream_id, snapshot_type))",
                "CREATE TABLE " + checkpoints + " ("
                        + " name text PRIMARY KEY,"
                        + " position text NOT NULL,"
                        + " updated_at timestamptz NOT NULL DEFAULT now())")),
                // Raised by an append that would land behind a newer commit of its stream; see
                // PostgresEventStore#claimSql.
                new Step(2, List.of(
                        "CREATE FUNCTION " + names.table("reject_written_behind") + "() RETURNS bigint LANGUAGE plpgsql AS $f$"
                                + " BEGIN RAISE EXCEPTION 'a newer transaction wrote to this stream first; retry in a new transaction'"
                                + " USING ERRCODE = '" + Errors.WRITTEN_BEHIND + "'; END $f$")),
                // The transaction that last claimed each stream; see PostgresEventStore#claimSql.
                new Step(3, List.of(
                        "ALTER TABLE " + streams + " ADD COLUMN last_tx xid8 NOT NULL DEFAULT '0'")),
                // The batch append (group commit); see AppendFunction.
                new Step(4, AppendFunction.create(names)),
                // The payload document form of the batch append, and the lone append's fast path; see LoneAppend.
                new Step(5, LoneAppend.create(names)),
                // The epoch of a projection's read model, bumped by a rebuild; see TransactionalCheckpoints.
                new Step(6, List.of(
                        "ALTER TABLE " + checkpoints + " ADD COLUMN epoch bigint NOT NULL DEFAULT 0")),
                // The table lease, for deployments where sessions do not last (PgBouncer in transaction mode); see PostgresTableLease.
                new Step(LEASE_TABLE_STEP, PostgresTableLease.create(names)),
                // Tags, their index, the type and tag locks and append conditions; see tagsStep.
                new Step(TAGS_STEP, tagsStep(events, rejectChange)),
                // Generic plans for the batch and conditioned appends; see AppendFunction.genericPlans.
                new Step(GENERIC_PLANS_STEP, AppendFunction.genericPlans(names)),
                // The lone append's branch for one untagged event; see LoneAppend.createSingleEvent.
                new Step(SINGLE_EVENT_STEP, List.of(LoneAppend.createSingleEvent(names))),
                // The batch append reading the streams once in a commit of the set-based kind; see AppendFunction.replaceReadingStreamsOnce.
                new Step(READ_ONCE_STEP, List.of(AppendFunction.replaceReadingStreamsOnce(names))));
    }

    /**
     * The events' tags: a column that reads return, and a side table {@code event_tags} with one row
     * per tag of an event, keyed {@code (tag, transaction_id, global_position)}, so that a tag query
     * reads its events in the global order off a btree (a GIN index over the column could find them,
     * but not in that order). A row trigger fills it, for tagged events only, whatever path wrote them.
     * Then the step-8 forms of the append functions (tags, type and tag locks) and {@code append_if}.
     */
    private List<String> tagsStep(String events, String rejectChange) {
        String eventTags = names.table("event_tags");
        String indexTags = names.table("index_event_tags");
        return List.of(
                "ALTER TABLE " + events + " ADD COLUMN tags text[] NOT NULL DEFAULT '{}'",
                "CREATE TABLE " + eventTags + " ("
                        + " tag text NOT NULL,"
                        + " transaction_id xid8 NOT NULL,"
                        + " global_position bigint NOT NULL,"
                        + " event_type text NOT NULL,"
                        + " PRIMARY KEY (tag, transaction_id, global_position))",
                "CREATE TRIGGER event_tags_append_only BEFORE UPDATE OR DELETE ON " + eventTags
                        + " FOR EACH ROW EXECUTE FUNCTION " + rejectChange + "()",
                "CREATE TRIGGER event_tags_no_truncate BEFORE TRUNCATE ON " + eventTags
                        + " FOR EACH STATEMENT EXECUTE FUNCTION " + rejectChange + "()",
                "CREATE FUNCTION " + indexTags + "() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
                        + " INSERT INTO " + eventTags + " (tag, transaction_id, global_position, event_type)"
                        + " SELECT DISTINCT t.tag, NEW.transaction_id, NEW.global_position, NEW.event_type FROM unnest(NEW.tags) AS t(tag);"
                        + " RETURN NULL; END $f$",
                "CREATE TRIGGER events_index_tags AFTER INSERT ON " + events
                        + " FOR EACH ROW WHEN (cardinality(NEW.tags) > 0) EXECUTE FUNCTION " + indexTags + "()",
                AppendFunction.createWithTags(names),
                LoneAppend.createWithTags(names),
                ConditionedAppend.create(names));
    }
}
