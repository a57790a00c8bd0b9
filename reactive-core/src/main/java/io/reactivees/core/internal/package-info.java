/**
 * Helpers shared by the store implementations. Not part of the API: anything here may change
 * without notice.
 */
package io.reactivees.core.internal;
