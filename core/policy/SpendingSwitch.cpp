#include "core/policy/SpendingSwitch.h"

#include "core/payments/RefusalCodes.h"
#include "core/store/Settings.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace l402::policy {
namespace {

QString encode(const SpendingState& state)
{
    if (!state.walletPaused && state.pausedAgents.isEmpty()) {
        return {};
    }
    QJsonObject agents;
    for (auto it = state.pausedAgents.cbegin(); it != state.pausedAgents.cend(); ++it) {
        agents.insert(it.key(), qint64(it.value()));
    }
    QJsonObject out{{QStringLiteral("agents"), agents}};
    if (state.walletPaused) {
        out.insert(QStringLiteral("paused_at"), qint64(state.walletPausedAt));
    }
    return QString::fromUtf8(QJsonDocument(out).toJson(QJsonDocument::Compact));
}

Result<SpendingState> decode(const QString& text)
{
    SpendingState state;
    if (text.isEmpty()) {
        return state;
    }
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        return Result<SpendingState>::failure(
            QStringLiteral("invalid_setting"),
            QStringLiteral("The stored pause state cannot be read (%1).").arg(error.errorString()));
    }
    const QJsonObject object = document.object();
    if (const QJsonValue at = object.value(QLatin1String("paused_at")); !at.isUndefined()) {
        state.walletPaused = true;
        state.walletPausedAt = at.toInteger();
    }
    const QJsonObject agents = object.value(QLatin1String("agents")).toObject();
    for (auto it = agents.begin(); it != agents.end(); ++it) {
        state.pausedAgents.insert(it.key(), it.value().toInteger());
    }
    return state;
}

} // namespace

SpendingSwitch::SpendingSwitch(store::Database& database, const Clock& clock)
    : m_database(database)
    , m_clock(clock)
{
}

Status SpendingSwitch::reload()
{
    auto loaded = load();
    if (loaded && m_listener) {
        m_listener();
    }
    return loaded;
}

Status SpendingSwitch::load()
{
    auto stored = store::readSetting(m_database, QLatin1String(kSpendingSwitchSetting));
    auto state = stored ? decode(stored.value()) : Result<SpendingState>(stored.error());
    if (!state) {
        m_readable = false;
        return Status(state.error());
    }
    m_readable = true;
    m_state = state.value();
    return success();
}

std::optional<Error> SpendingSwitch::refusalFor(const QString& agent) const
{
    if (!m_readable) {
        return Error{QStringLiteral("wallet_error"),
                     QStringLiteral("No payment was made: the wallet cannot read whether "
                                    "spending is paused.")};
    }
    if (m_state.walletPaused) {
        return Error{QLatin1String(payments::refusal_error::kWalletPaused),
                     QStringLiteral("All spending is paused in the wallet, so nothing is paid; "
                                    "the owner resumes it with 'l402-wallet resume' or in the "
                                    "wallet's window.")};
    }
    if (!agent.isEmpty() && m_state.pausedAgents.contains(agent)) {
        return Error{QLatin1String(payments::refusal_error::kAgentPaused),
                     QStringLiteral("Spending by agent %1 is paused, so nothing is paid; the "
                                    "owner resumes it with 'l402-wallet agent resume %1'.")
                         .arg(agent)};
    }
    return std::nullopt;
}

Result<bool> SpendingSwitch::write(const SpendingState& next)
{
    if (auto written =
            store::writeSetting(m_database, QLatin1String(kSpendingSwitchSetting), encode(next));
        !written) {
        return Result<bool>(written.error());
    }
    m_state = next;
    m_readable = true;
    if (m_listener) {
        m_listener();
    }
    return true;
}

Result<bool> SpendingSwitch::pauseAll()
{
    // Read first: another writer (the CLI while the window runs) may have changed it.
    if (auto loaded = load(); !loaded) {
        return Result<bool>(loaded.error());
    }
    if (m_state.walletPaused) {
        return false;
    }
    SpendingState next = m_state;
    next.walletPaused = true;
    next.walletPausedAt = m_clock.nowSeconds();
    return write(next);
}

Result<bool> SpendingSwitch::resumeAll()
{
    if (auto loaded = load(); !loaded) {
        return Result<bool>(loaded.error());
    }
    if (!m_state.walletPaused) {
        return false;
    }
    SpendingState next = m_state;
    next.walletPaused = false;
    next.walletPausedAt = 0;
    return write(next);
}

Result<bool> SpendingSwitch::pauseAgent(const QString& agent)
{
    if (auto loaded = load(); !loaded) {
        return Result<bool>(loaded.error());
    }
    if (m_state.pausedAgents.contains(agent)) {
        return false;
    }
    SpendingState next = m_state;
    next.pausedAgents.insert(agent, m_clock.nowSeconds());
    return write(next);
}

Result<bool> SpendingSwitch::resumeAgent(const QString& agent)
{
    if (auto loaded = load(); !loaded) {
        return Result<bool>(loaded.error());
    }
    if (!m_state.pausedAgents.contains(agent)) {
        return false;
    }
    SpendingState next = m_state;
    next.pausedAgents.remove(agent);
    return write(next);
}

} // namespace l402::policy
