/**
 * Idempotency records for the HTTP API's {@code Idempotency-Key}: what a request with a key answered,
 * so that the same request sent again is answered the same way, in memory or in a PostgreSQL table.
 */
@NullMarked
package io.reactivees.examples.idempotency;

import org.jspecify.annotations.NullMarked;
