#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace l402::policy {

struct SpendingState {
    bool walletPaused = false;
    int64_t walletPausedAt = 0;          // seconds since the epoch; 0 when not paused
    QMap<QString, int64_t> pausedAgents; // name -> paused since
};

// The kill switch (DESIGN §4 `pause`, `resume`, `agent pause NAME`): while the wallet is
// paused no payment starts, and a paused agent's payments are refused; free requests and
// tokens already bought are untouched, since neither pays. Kept in the settings table so a
// pause outlives a restart, and in memory so the payment path reads no database. Pausing
// needs no proof (it only ever stops money); resuming is the owner's, which the callers check.
class SpendingSwitch {
public:
    SpendingSwitch(store::Database& database, const Clock& clock);

    // Reads the stored state (at start, and when another writer changed it). When it cannot
    // be read the switch fails closed: every payment is refused with wallet_error until a
    // read succeeds.
    Status reload();
    const SpendingState& state() const { return m_state; }
    bool walletPaused() const { return m_state.walletPaused; }
    bool agentPaused(const QString& agent) const { return m_state.pausedAgents.contains(agent); }

    // Why a payment by `agent` (empty: the wallet's own fetch) must not start, if it must not:
    // wallet_paused, agent_paused, or wallet_error when the state is unknown.
    std::optional<Error> refusalFor(const QString& agent) const;

    // Each returns whether anything changed (pausing twice is no error).
    Result<bool> pauseAll();
    Result<bool> resumeAll();
    Result<bool> pauseAgent(const QString& agent);
    Result<bool> resumeAgent(const QString& agent);

    // Called after every change this object wrote or read (reload), on its thread.
    void setChangeListener(std::function<void()> listener) { m_listener = std::move(listener); }

private:
    Status load();
    Result<bool> write(const SpendingState& next);

    store::Database& m_database;
    const Clock& m_clock;
    SpendingState m_state;
    bool m_readable = true;
    std::function<void()> m_listener;
};

// The settings key of the switch: {"paused_at": seconds, "agents": {"name": since}}, one
// value so a change is one atomic write; absent or empty means nothing is paused.
inline constexpr auto kSpendingSwitchSetting = "spending_switch";

} // namespace l402::policy
