#pragma once

#include "core/store/Database.h"
#include "core/util/Result.h"

namespace l402::store {

// Forward-only, versioned migrations. The database's PRAGMA user_version is the number of
// migrations applied; each migration runs in its own transaction with the version bump, so a
// crash leaves the schema at a whole version. Only the SQL of SQLite 3.15 is used (no UPSERT,
// RETURNING or window functions) so Debian's SQLCipher 3.4 and SQLCipher 4 both run it.
class Schema {
public:
    static int latestVersion();
    static Result<int> currentVersion(Database& database);
    // Applies migrations up to `targetVersion` (default: all). A database newer than this
    // build is refused rather than touched.
    static Status migrate(Database& database, int targetVersion = -1);
};

} // namespace l402::store
