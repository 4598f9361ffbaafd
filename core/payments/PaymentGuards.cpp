// The engine's guards against a drain, beside the budgets (DESIGN §3.7): the drain guard's
// trigger (a token the server refuses right after selling it) and the anomaly alert. The
// price-spike guard, which reads the offer, stays with decide() in PaymentEngine.cpp. Each
// only refuses, asks or pauses; none ever pays.
#include "core/payments/PaymentEngine.h"

#include "core/payments/RefusalCodes.h"
#include "core/util/Logging.h"
#include "core/util/Money.h"

#include <algorithm>
#include <limits>

namespace l402::payments {
namespace {

QString sat(int64_t msat)
{
    return formatMsatAsSat(static_cast<uint64_t>(std::max<int64_t>(msat, 0)));
}

} // namespace

void PaymentEngine::tokenRejected(const RequestContext& context, const Token& token)
{
    const QString origin = context.origin.toString();
    if (!m_drainGuard.isFresh(token.createdAt) || m_drainGuard.pausedUntil(origin)) {
        return; // an old token may be revoked for ordinary reasons
    }
    policy::UsageNeutralWrite neutral(m_budgets);
    if (auto paused = m_drainGuard.pause(origin); !paused) {
        log::warning(paused.error().message);
        return;
    }
    const Error why = m_drainGuard.refusalFor(origin);
    log::warning(why.message);
    record(DecisionEvent{QStringLiteral("refused"), origin, context.agent, token.amountMsat,
                         why.code, why.message, 0});
}

void PaymentEngine::checkAnomaly(const QString& agent, const QString& origin)
{
    if (agent.isEmpty() || m_settings.anomalyWindowSeconds <= 0 ||
        m_spendingSwitch.refusalFor(agent)) {
        return; // the wallet's own fetch, the alert off, or paused already
    }
    // Amounts paid (not failed) by this agent since `from`, up to `to`.
    const auto spent = [&](int64_t from, int64_t to) -> std::optional<int64_t> {
        auto statement = m_store.database().prepare(
            "SELECT coalesce(sum(amount_msat), 0) FROM payments WHERE agent = ?1 AND "
            "status <> 'failed' AND created_at >= ?2 AND created_at < ?3");
        if (!statement) {
            return std::nullopt;
        }
        statement->bind(1, agent).bind(2, from).bind(3, to);
        auto row = statement->step();
        if (!row || !row.value()) {
            return std::nullopt;
        }
        return statement->integer(0);
    };
    const int64_t now = m_clock.nowSeconds();
    const int64_t window = m_settings.anomalyWindowSeconds;
    constexpr int64_t kWeek = 7 * 24 * 3600;
    const auto recent = spent(now - window, now + 1);
    const auto before = spent(now - window - kWeek, now - window);
    if (!recent || !before) {
        return; // unreadable: the budgets still hold
    }
    const int64_t usual = *before / (kWeek / window); // per window, on average
    int64_t threshold = 0;
    if (__builtin_mul_overflow(usual, m_settings.anomalyFactor, &threshold)) {
        threshold = std::numeric_limits<int64_t>::max();
    }
    threshold = std::max(threshold, m_settings.anomalyFloorMsat);
    if (*recent <= threshold) {
        return;
    }
    if (auto paused = m_spendingSwitch.pauseAgent(agent); !paused) {
        log::warning(paused.error().message);
        return;
    }
    const QString message =
        QStringLiteral("Agent %1 spent %2 in the last %3 min, more than %4 (%5x its usual %6 "
                       "per %3 min over the past week, or at least %7): it is paused. Resume it "
                       "with 'l402-wallet agent resume %1' once you know why.")
            .arg(agent, sat(*recent), QString::number(window / 60), sat(threshold),
                 QString::number(m_settings.anomalyFactor), sat(usual),
                 sat(m_settings.anomalyFloorMsat));
    log::warning(message);
    record(DecisionEvent{QStringLiteral("refused"), origin, agent, *recent,
                         QStringLiteral("agent_paused"), message, 0});
    Q_EMIT anomalyDetected(agent, message);
}

} // namespace l402::payments
