#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QMap>
#include <QString>

#include <functional>
#include <optional>

namespace l402::payments {

// The drain guard (DESIGN §4 `origin_paused`). A server that answers 402 to a token the wallet
// bought minutes ago is taking money without giving access: its origin is paused, so further
// payments to it are refused (or asked about, when its rule asks anyway) until the owner
// resumes it or the pause runs out. The paused origins live in the settings table, so a
// restart does not hand the server a fresh payment, and in memory, so the payment path reads
// no database.
class DrainGuard {
public:
    struct Settings {
        // A 402 to a token younger than this trips the guard; older tokens may have been
        // revoked for ordinary reasons (a server restart, a key rotation).
        qint64 freshTokenSeconds = 5 * 60;
        qint64 pauseSeconds = 10 * 60;
    };

    DrainGuard(store::Database& database, const Clock& clock, Settings settings);
    DrainGuard(store::Database& database, const Clock& clock)
        : DrainGuard(database, clock, Settings{})
    {
    }

    // Reads the stored pauses (at start, and when another writer changed them). Unreadable,
    // the guard keeps what it had and says why.
    Status reload();

    // Whether a 402 to a token bought at `tokenCreatedAt` means the origin drains the wallet.
    bool isFresh(int64_t tokenCreatedAt) const;
    // Pauses `origin` until now + pauseSeconds; returns the end of the pause.
    Result<int64_t> pause(const QString& origin);
    // Whether anything changed (resuming an origin that is not paused is no error).
    Result<bool> resume(const QString& origin);

    // The end of the origin's pause (seconds since the epoch) while it lasts.
    std::optional<int64_t> pausedUntil(const QString& origin) const;
    // Every origin paused now -> until when.
    QMap<QString, int64_t> pausedOrigins() const;
    // The refusal for a payment to a paused origin.
    Error refusalFor(const QString& origin) const;

    const Settings& settings() const { return m_settings; }

private:
    Status write(const QMap<QString, int64_t>& next);

    store::Database& m_database;
    const Clock& m_clock;
    Settings m_settings;
    QMap<QString, int64_t> m_paused; // origin -> paused until
};

// The settings key: {"origin": until, ...}; absent or empty means nothing is paused.
inline constexpr auto kDrainGuardSetting = "paused_origins";

} // namespace l402::payments
