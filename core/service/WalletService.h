#pragma once

#include "core/node/LightningNode.h"
#include "core/node/NodeSettings.h"
#include "core/payments/PaymentEngine.h"
#include "core/payments/TokenStore.h"
#include "core/policy/Agents.h"
#include "core/policy/ApprovalBroker.h"
#include "core/policy/Budget.h"
#include "core/store/WalletStore.h"
#include "core/util/Result.h"

#include <QCoreApplication>
#include <QDate>
#include <QDateTime>
#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace l402::service {

// --- Activity: every decision (events table) with its payment, newest first by default. ---

struct ActivityFilter {
    QString site;   // exact origin, empty: all
    QString agent;  // exact agent name, empty: all ("-" : the wallet's own, no agent)
    QString status; // event kind: paid|refused|denied|timed_out|failed|pending|recovered
    std::optional<qint64> from; // seconds since the epoch, inclusive
    std::optional<qint64> to;   // exclusive
    QString text;               // in site, agent, code or message
    friend bool operator==(const ActivityFilter&, const ActivityFilter&) = default;
};

enum class ActivityColumn { Time, Site, Agent, Amount, Fee, Status, Reason };
inline constexpr int kActivityColumns = 7;

struct ActivitySort {
    ActivityColumn column = ActivityColumn::Time;
    bool descending = true;
};

struct ActivityRow {
    qint64 eventId = 0;
    qint64 at = 0; // seconds since the epoch
    QString kind;  // paid|refused|denied|timed_out|failed|pending|recovered
    QString origin;
    QString agent;
    std::optional<qint64> amountMsat;
    std::optional<qint64> feeMsat;
    QString code;    // refusal code (DESIGN §4), empty when paid
    QString message; // the reason in words
    qint64 paymentId = 0;
};

struct ActivityDetail {
    ActivityRow row;
    QString paymentHash; // hex, empty without a payment
    QString paymentStatus;
    QString invoice;
    QString invoiceReport; // the decoded invoice, as `decode` prints it
    qint64 tokenId = 0;    // the token this payment bought, 0 if none
};

struct Overview {
    qint64 spentTodayMsat = 0; // succeeded payments, amount + fee, since local midnight
    qint64 spentThisMonthMsat = 0;
    int paymentsToday = 0;
    int refusalsToday = 0;
    int activeTokens = 0;
    int pendingApprovals = 0;
    qint64 totalEvents = 0;
};

struct DaySpend {
    QDate day;
    QString site;
    qint64 msat = 0;
};

struct SiteTotal {
    QString site;
    qint64 msat = 0;
    int payments = 0;
};

// --- Tokens ---

struct TokenView {
    payments::Token token;      // holds the secrets: copy them only behind a warning
    QString effectiveStatus;    // active|expired|rejected (active past its expiry is expired)
    QStringList caveatsInWords; // "Valid until 2026-11-23 14:00 (in 3 h)", "Service quotes, tier 0"
    QList<std::pair<QString, QString>> caveats; // raw key=value first-party caveats
    QString macaroonBase64;
};

// --- Budgets ---

struct RuleView {
    policy::BudgetRule rule;
    policy::Usage used;
    policy::Windows windows; // window.end is the next renewal
};

// --- Agents ---

struct AgentView {
    QString name;
    qint64 createdAt = 0;
    qint64 spentMsat = 0;      // all time, succeeded, amount + fee
    qint64 spentTodayMsat = 0; // since local midnight
    int payments = 0;
};

// --- Kill switch ---

struct SpendingView {
    bool walletPaused = false;
    qint64 pausedAt = 0; // seconds since the epoch, 0 when running
    QStringList pausedAgents;
    friend bool operator==(const SpendingView&, const SpendingView&) = default;
};

// --- Node ---

struct NodeView {
    bool configured = false;
    QString backend;      // lnd|cln|lnbits|phoenixd|nwc|demo
    QJsonObject redacted; // NodeSettings::redacted(): no secret
};

struct NodeTestResult {
    QString backend;
    QString alias;
    QString network; // bitcoin|testnet|signet|regtest
    qint64 balanceMsat = 0;
};

// --- Settings (settings table; the proxy reads them when it starts) ---

struct WalletSettings {
    quint16 proxyPort = 8402;
    bool interceptHttps = true;
    QStringList bypassHosts; // host or *.domain
    int approvalTimeoutSeconds = 60;
    friend bool operator==(const WalletSettings&, const WalletSettings&) = default;
};

// The wallet's data as the window sees it. Lives on the wallet's thread with the store, the
// engine and the broker, and every method must be called there: the window reaches it
// through ask() below, so the GUI thread never touches the database. Signals cross to the
// window through queued connections.
class WalletService : public QObject {
    Q_OBJECT
public:
    // `keychain`: where a keychain wallet's key lives (to remove it when the wallet moves to
    // a passphrase); may be null.
    WalletService(store::WalletStore& wallet, payments::PaymentEngine& engine,
                  policy::ApprovalBroker& broker, store::SecretStore* keychain = nullptr,
                  QObject* parent = nullptr);
    ~WalletService() override;

    const QString& dataDir() const { return m_dataDir; }
    quint16 proxyPort() const { return m_proxyPort; } // 0 while the proxy is not listening
    void setProxyPort(quint16 port);

    // Activity
    Result<qint64> activityCount(const ActivityFilter& filter);
    Result<QList<ActivityRow>> activityPage(const ActivityFilter& filter, const ActivitySort& sort,
                                            qint64 offset, int limit);
    Result<ActivityDetail> activityDetail(qint64 eventId);
    Result<QStringList> sites();      // origins seen in the activity, sorted
    Result<QStringList> agentNames(); // agents seen in the activity and the agent book
    Result<Overview> overview();
    // Succeeded spend per local day and site over the last `days` days (today included).
    Result<QList<DaySpend>> spendByDay(int days);
    Result<QList<SiteTotal>> spendBySite(int days);
    // Writes the filtered activity as CSV (RFC 4180) to `path` atomically, in chunks between
    // which the wallet's thread serves payments; `done` gets the number of rows.
    void exportCsv(const ActivityFilter& filter, const QString& path,
                   std::function<void(Result<qint64>)> done);

    // Tokens
    Result<QList<TokenView>> tokens();
    Status removeToken(qint64 tokenId);
    // The Authorization value `L402 <macaroon>:<preimage>` (a secret).
    Result<QString> credential(qint64 tokenId);
    // The token's credential with extra first-party caveats ("key=value"), for handing to
    // someone else with less power; the wallet keeps its own token unchanged.
    Result<QString> attenuatedCredential(qint64 tokenId, const QStringList& caveats);

    // Budgets
    Result<QList<RuleView>> rules();
    Result<int64_t> saveRule(const policy::BudgetRule& rule);
    Result<bool> removeRule(const QString& pattern, const QString& agent);

    // Agents (the proxy's credentials follow: agentsChanged)
    Result<QList<AgentView>> agents();
    Result<policy::NewAgent> addAgent(const QString& name);
    Result<bool> removeAgent(const QString& name);

    // Kill switch (spendingChanged follows every change, also one made with the CLI). A click
    // in the window is owner proof, so resumeAll() just resumes.
    SpendingView spending() const;
    Result<SpendingView> pauseAll();
    Result<SpendingView> resumeAll();
    Result<SpendingView> setAgentPaused(const QString& name, bool paused);

    // Node
    Result<NodeView> node();
    // Saved settings take effect on the next start (the window says so).
    Status saveNode(const node::NodeSettings& settings);
    // Connects with `settings` (not saved) and asks for alias, network and balance.
    void testNode(const node::NodeSettings& settings,
                  std::function<void(Result<NodeTestResult>)> done);

    // Settings
    Result<WalletSettings> settings();
    Status saveSettings(const WalletSettings& settings);
    Result<QByteArray> caCertificatePem();
    // A new local CA: every agent must trust the new certificate (the old one stops working).
    // The proxy switches to it (caRegenerated).
    Status regenerateCa();
    // Re-wraps the key under a new passphrase; a keychain wallet moves to passphrase mode and
    // its key is then removed from the keychain (`done` after that).
    void changePassphrase(const QByteArray& newPassphrase, std::function<void(Status)> done);

    // Approvals
    QList<policy::ApprovalRequest> pendingApprovals() const;
    bool answerApproval(const QString& id, bool approve, policy::Remember remember);
    void pauseApproval(const QString& id);
    void resumeApproval(const QString& id);
    // For tests and the host, on the wallet's thread.
    policy::ApprovalBroker& broker() { return m_broker; }

Q_SIGNALS:
    void activityChanged();
    void tokensChanged();
    void rulesChanged();
    void agentsChanged();
    void proxyPortChanged(quint16 port);
    void caRegenerated();
    void approvalRequested(const l402::policy::ApprovalRequest& request);
    void approvalResolved(const QString& id, bool approved);
    void spendingChanged(const l402::service::SpendingView& spending);
    // An agent's spending jumped far above its pattern and it was paused (the engine's alert).
    void anomalyDetected(const QString& agent, const QString& message);

private:
    Result<QStringList> distinctWith(const char* column, const char* extra);

    store::WalletStore& m_wallet;
    store::SecretStore* m_keychain = nullptr;
    payments::PaymentEngine& m_engine;
    policy::ApprovalBroker& m_broker;
    QString m_dataDir;
    quint16 m_proxyPort = 0;
    std::unique_ptr<node::LightningNode> m_testNode;
};

// Runs `work(service)` on the service's thread, then `then(result)` on the GUI thread, unless
// `context` (a GUI-thread object) is gone by then. For the window: never block on the wallet.
// The answer is posted to the application object, which outlives every receiver, and
// `context` is checked there, on the thread that deletes it, so a page or dialog closed
// meanwhile is never touched.
template <typename Work, typename Then>
void ask(WalletService* service, QObject* context, Work work, Then then)
{
    Q_ASSERT(context && context->thread() == QCoreApplication::instance()->thread());
    QPointer<QObject> receiver(context);
    QMetaObject::invokeMethod(
        service, [service, receiver, work = std::move(work), then = std::move(then)]() mutable {
            auto result = work(*service);
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [receiver, then = std::move(then), result = std::move(result)]() mutable {
                    if (receiver) {
                        then(std::move(result));
                    }
                },
                Qt::QueuedConnection);
        });
}

// Like ask(), for work that answers later: `work(service, reply)` runs on the service's thread
// and calls `reply(result)` once, from that thread; `then(result)` runs on the GUI thread.
template <typename R, typename Work, typename Then>
void askLater(WalletService* service, QObject* context, Work work, Then then)
{
    Q_ASSERT(context && context->thread() == QCoreApplication::instance()->thread());
    QPointer<QObject> receiver(context);
    QMetaObject::invokeMethod(
        service, [service, receiver, work = std::move(work), then = std::move(then)]() mutable {
            work(*service, [receiver, then = std::move(then)](R result) mutable {
                QMetaObject::invokeMethod(
                    QCoreApplication::instance(),
                    [receiver, then, result = std::move(result)]() mutable {
                        if (receiver) {
                            then(std::move(result));
                        }
                    },
                    Qt::QueuedConnection);
            });
        });
}

// Settings keys in the settings table.
namespace setting {
inline constexpr auto kProxyPort = "proxy_port";
inline constexpr auto kInterceptHttps = "intercept_https";
inline constexpr auto kBypassHosts = "bypass_hosts";
inline constexpr auto kApprovalTimeout = "approval_timeout_s";
} // namespace setting

} // namespace l402::service
