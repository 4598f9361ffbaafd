#pragma once

#include "core/node/LightningNode.h"
#include "core/payments/DrainGuard.h"
#include "core/payments/TokenStore.h"
#include "core/policy/ApprovalBroker.h"
#include "core/policy/Budget.h"
#include "core/policy/Origin.h"
#include "core/policy/SpendingSwitch.h"
#include "core/store/WalletStore.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimeZone>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace l402::payments {

// Refusal and failure codes of the flow (DESIGN §4); the budget and invoice checks add
// theirs (site_blocked, over_max_payment, budget_exceeded, invoice_*, wrong_network,
// amountless_invoice, invalid_challenge).
namespace engine_error {
inline constexpr auto kDenied = "denied_by_user";
inline constexpr auto kApprovalTimeout = "approval_timeout";
inline constexpr auto kNodeUnavailable = "node_unavailable";
inline constexpr auto kPaymentFailed = "payment_failed";
inline constexpr auto kPaymentPending = "payment_pending";
inline constexpr auto kOverMaxCost = "over_max_cost"; // fetch --max-cost
inline constexpr auto kInvalidChallenge = "invalid_challenge";
inline constexpr auto kWallet = "wallet_error"; // the database failed us
} // namespace engine_error

struct EngineSettings {
    // Routing-fee cap: max(feeFloorMsat, amount * feePpm / 1e6); the default is
    // max(10 sat, 1%). The cap is also the fee reserve a pending payment holds in the budget.
    int64_t feeFloorMsat = 10'000;
    int64_t feePpm = 10'000;
    std::chrono::seconds paymentTimeout{60};
    // How often payments with an unknown outcome are looked up again.
    std::chrono::milliseconds reconcileInterval{30'000};
    qint64 expiryMarginSeconds = 10;
    // The price-spike guard: a price more than this many times what the origin's service
    // was last paid is asked about, or refused (price_spike) when nobody can answer.
    int64_t priceSpikeFactor = 10;
    // The anomaly alert (docs/agents.md): an agent whose spend in the last `anomalyWindow`
    // is above max(anomalyFactor x its average per window over the week before,
    // anomalyFloorMsat) is paused.
    qint64 anomalyWindowSeconds = 10 * 60;
    int64_t anomalyFactor = 10;
    int64_t anomalyFloorMsat = 1'000'000;

    int64_t feeLimitFor(int64_t amountMsat) const;
};

// One request that met a 402.
struct RequestContext {
    policy::Origin origin;
    QString agent;           // the agent credential's name; empty for the wallet's own `fetch`
    QString resource;        // "GET /v1/quote", for prompts and history
    QString path;            // "/v1/quote": which of an origin's tokens this path takes
    int64_t sentTokenId = 0; // the cached token the request carried, 0 if none
    std::optional<int64_t> maxCostMsat; // fetch --max-cost
    std::optional<int64_t> maxFeeMsat;  // fetch --max-fee
    // The caller holds the credential it gets (fetch, MCP over the control socket): only a
    // token this agent bought may be handed back, never another agent's secret.
    bool ownTokensOnly = false;
    // The token this request just bought met a 402 again: tell the engine (the drain guard
    // looks at it) and never pay; the answer is another token to try, or the refusal.
    bool reportOnly = false;
};

struct PaymentSummary {
    int64_t paymentId = 0;
    int64_t amountMsat = 0;
    int64_t feeMsat = 0;
    QByteArray paymentHash;
};

// What to add to the retried request.
struct Credential {
    QByteArray headerName = "Authorization";
    QByteArray headerValue; // secret: never logged
    int64_t tokenId = 0;    // 0 for single-use MPP credentials
    QString boughtBy;       // the agent whose payment bought the token
    // Set when this request's own flight paid; empty when it reused a token or joined
    // another request's payment.
    std::optional<PaymentSummary> payment;
};

// A decision as the history shows it.
struct DecisionEvent {
    QString kind; // paid|refused|denied|timed_out|failed|pending|recovered
    QString origin;
    QString agent;
    int64_t amountMsat = 0;
    QString code;
    QString message;
    int64_t paymentId = 0;
};

// The L402 flow (DESIGN §3): parse the challenge, check the invoice, apply the budget, ask
// when a rule says so, reserve, write the attempt durably, pay once, keep the token, and
// resolve every uncertain outcome with the node before new payments. One instance per open
// wallet, on the wallet's thread; every callback runs on that thread.
class PaymentEngine : public QObject {
    Q_OBJECT
public:
    using Done = std::function<void(Result<Credential>)>;

    PaymentEngine(store::WalletStore& store, node::LightningNode& node,
                  policy::ApprovalBroker& broker, const Clock& clock, EngineSettings settings = {},
                  QTimeZone zone = QTimeZone::systemTimeZone(), QObject* parent = nullptr);
    ~PaymentEngine() override;

    // Releases orphaned reservations and reconciles every unresolved payment with the node;
    // payment requests that arrive before this ends wait for it (DESIGN §3.3). Emits ready().
    void start();
    bool isReady() const { return m_ready; }

    // The token to send proactively: the one that last worked for this path, else the
    // origin's newest active token.
    std::optional<Credential> cachedCredential(const policy::Origin& origin,
                                               const QString& path = {});

    // A request met a 402 with these WWW-Authenticate values. `done` gets the credential to
    // retry with, or the refusal (Error::code from DESIGN §4). Requests to one origin share
    // one payment.
    void handlePaymentRequired(const RequestContext& context,
                               const QList<QByteArray>& wwwAuthenticate, Done done);

    // The origin's active tokens, newest first (what cachedCredential chooses from).
    QList<Token> activeTokensFor(const policy::Origin& origin);
    // Called on the engine's thread whenever an origin's tokens change (bought, rejected,
    // expired), so a copy kept elsewhere (the proxy's, see EngineGateway) can be dropped.
    void setTokenListener(std::function<void(const QString& origin)> listener)
    {
        m_tokenListener = std::move(listener);
    }

    // Looks up every unresolved payment now (also runs on a timer).
    void reconcileNow();
    // Someone changed the token store behind the engine's back (the CLI through the control
    // socket, the window): drop the in-memory copies of these origins' tokens.
    void tokensChangedElsewhere(const QStringList& origins);

    // The kill switch (pause, resume, agent pause): checked before a payment is asked for or
    // made. Writes through it take effect at once; spendingSwitchChanged() follows each.
    policy::SpendingSwitch& spendingSwitch() { return m_spendingSwitch; }
    DrainGuard& drainGuard() { return m_drainGuard; }
    // Someone wrote the switch through another object (a CLI data command run by the running
    // wallet): read it again.
    void spendingSwitchChangedElsewhere();

    policy::BudgetBook& budgets() { return m_budgets; }
    TokenStore& tokens() { return m_tokens; }
    const EngineSettings& settings() const { return m_settings; }
    int flightsInProgress() const { return static_cast<int>(m_flights.size()); }

Q_SIGNALS:
    void ready();
    void decisionRecorded(const l402::payments::DecisionEvent& event);
    void paymentChanged(qint64 paymentId);
    void spendingSwitchChanged();
    // An agent's spending jumped far above its own pattern, and it was paused.
    void anomalyDetected(const QString& agent, const QString& message);

private:
    // After a payment: pauses the agent when its recent spend is an anomaly.
    void checkAnomaly(const QString& agent, const QString& origin);
    struct Flight;
    struct Offer;

    void startFlight(const RequestContext& context, const QList<QByteArray>& wwwAuthenticate,
                     const std::shared_ptr<Flight>& flight);
    void withNodeNetwork(std::function<void(Result<protocol::Network>)> then);
    void decide(const std::shared_ptr<Flight>& flight, const std::shared_ptr<Offer>& offer);
    // `notes`: why it is asked besides the rule (a paused origin, a price spike), shown first.
    void askUser(const std::shared_ptr<Flight>& flight, const std::shared_ptr<Offer>& offer,
                 const policy::BudgetVerdict& verdict, const QStringList& notes = {});
    // "21 sat now, 2 sat last time" when the offer is a spike over the last price paid.
    std::optional<QString> priceSpike(const RequestContext& context, const Offer& offer);
    void pay(const std::shared_ptr<Flight>& flight, const std::shared_ptr<Offer>& offer);
    void onPayResult(const std::shared_ptr<Flight>& flight, const std::shared_ptr<Offer>& offer,
                     int64_t paymentId, const node::PaymentResult& result);
    void finish(const std::shared_ptr<Flight>& flight, Result<Credential> result);
    // A token met a 402 again: fresh, the origin drains the wallet and is paused.
    void tokenRejected(const RequestContext& context, const Token& token);
    void refuse(const std::shared_ptr<Flight>& flight, const Error& error, int64_t amountMsat,
                const QString& kind);

    // Resolution of one attempt; the same for live results and reconciliation.
    Result<Credential> completeSuccess(int64_t paymentId, const QByteArray& preimage,
                                       int64_t feeMsat);
    void completeFailure(int64_t paymentId, const QString& code, const QString& message);
    void applyLookup(int64_t paymentId, const Result<node::PaymentResult>& lookup);
    void follow(int64_t paymentId);

    std::optional<bool> rememberedDecision(const RequestContext& context, int64_t amountMsat);
    void remember(const RequestContext& context, int64_t amountMsat, bool approve,
                  policy::Remember scope, const policy::BudgetVerdict& verdict);

    void record(const DecisionEvent& event);
    static Error walletError(const Error& cause);

    store::WalletStore& m_store;
    node::LightningNode& m_node;
    policy::ApprovalBroker& m_broker;
    const Clock& m_clock;
    EngineSettings m_settings;
    policy::BudgetBook m_budgets;
    TokenStore m_tokens;
    policy::SpendingSwitch m_spendingSwitch;
    DrainGuard m_drainGuard;

    bool m_ready = false;
    bool m_reconciling = false;
    QList<std::function<void()>> m_waitingForReady;
    QHash<QString, std::shared_ptr<Flight>> m_flights;
    // Active tokens per origin, newest first: an in-memory copy of the store, dropped on
    // every change, so the cached-token path costs no database read.
    QList<Token> activeTokens(const QString& origin);
    void tokensChanged(const QString& origin);
    std::function<void(const QString&)> m_tokenListener;
    QHash<QString, QList<Token>> m_originTokens;
    QHash<QString, int64_t> m_pathTokens; // origin + path -> token id that path takes
    std::optional<protocol::Network> m_nodeNetwork;
    QTimer m_reconcileTimer;
    QHash<int64_t, bool> m_following;
    quint64 m_anonymousFlights = 0; // payments whose lookup loop is running

    struct SessionDecision {
        QString origin;
        QString agent;
        bool approve = false;
        int64_t maxAmountMsat = 0;
    };
    QList<SessionDecision> m_sessionDecisions;
};

} // namespace l402::payments
