#include "core/payments/PaymentEngine.h"
#include "core/payments/RefusalCodes.h"

#include "core/payments/CrashPoint.h"
#include "core/protocol/Challenge.h"
#include "core/protocol/InvoiceCheck.h"
#include "core/protocol/Macaroon.h"
#include "core/protocol/PaymentCredential.h"
#include "core/util/Logging.h"
#include "core/util/Money.h"

#include <algorithm>
#include <limits>

namespace l402::payments {

using policy::ApprovalAnswer;
using store::PaymentStatus;
using store::Transaction;

namespace {

QString sat(int64_t msat)
{
    return formatMsatAsSat(static_cast<uint64_t>(std::max<int64_t>(msat, 0)));
}

} // namespace

int64_t EngineSettings::feeLimitFor(int64_t amountMsat) const
{
    return std::max(feeFloorMsat, amountMsat / 1'000'000 * feePpm +
                                      (amountMsat % 1'000'000) * feePpm / 1'000'000);
}

// One payment decision per origin (L402) or per challenge (MPP): every request that meets the
// origin's challenge while it runs waits on it and gets the same result (DESIGN §3.4).
struct PaymentEngine::Flight {
    QString key;
    RequestContext context;
    QList<Done> waiters;
};

// The offer being decided: what the challenge asks, decoded and checked.
struct PaymentEngine::Offer {
    bool isL402 = true;
    QString scheme; // L402, LSAT or Payment
    protocol::Macaroon macaroon;
    protocol::PaymentChallenge mpp;
    protocol::Invoice invoice;
    int64_t amountMsat = 0;
    int64_t feeLimitMsat = 0;
    std::optional<int64_t> expiresAt; // token expiry from the caveats
};

PaymentEngine::PaymentEngine(store::WalletStore& store, node::LightningNode& node,
                             policy::ApprovalBroker& broker, const Clock& clock,
                             EngineSettings settings, QTimeZone zone, QObject* parent)
    : QObject(parent)
    , m_store(store)
    , m_node(node)
    , m_broker(broker)
    , m_clock(clock)
    , m_settings(settings)
    , m_budgets(store.database(), clock, std::move(zone))
    , m_tokens(store.database(), clock)
    , m_spendingSwitch(store.database(), clock)
    , m_drainGuard(store.database(), clock)
{
    if (auto loaded = m_spendingSwitch.reload(); !loaded) {
        log::warning(loaded.error().message); // fails closed: payments are refused
    }
    if (auto loaded = m_drainGuard.reload(); !loaded) {
        log::warning(loaded.error().message);
    }
    m_spendingSwitch.setChangeListener([this] { Q_EMIT spendingSwitchChanged(); });
    m_reconcileTimer.setInterval(m_settings.reconcileInterval);
    connect(&m_reconcileTimer, &QTimer::timeout, this, &PaymentEngine::reconcileNow);
}

PaymentEngine::~PaymentEngine() = default;

Error PaymentEngine::walletError(const Error& cause)
{
    return Error{QLatin1String(engine_error::kWallet),
                 QStringLiteral("The wallet could not record the payment: %1").arg(cause.message)};
}

void PaymentEngine::start()
{
    if (auto released = m_budgets.releaseOrphans(); released && released.value() > 0) {
        log::info(QStringLiteral("Released %1 budget reservation(s) of payments never sent.")
                      .arg(released.value()));
    }
    auto unresolved = m_store.ledger().unresolved();
    const QList<store::PaymentRecord> records =
        unresolved ? unresolved.value() : QList<store::PaymentRecord>{};
    auto remaining = std::make_shared<qsizetype>(records.size());
    auto becomeReady = [this] {
        m_ready = true;
        m_reconcileTimer.start();
        const auto waiting = std::exchange(m_waitingForReady, {});
        Q_EMIT ready();
        for (const auto& resume : waiting) {
            resume();
        }
    };
    if (records.isEmpty()) {
        becomeReady();
        return;
    }
    QPointer<PaymentEngine> self(this);
    for (const store::PaymentRecord& record : records) {
        const int64_t id = record.id;
        m_node.lookup(record.payment.paymentHash,
                      [self, id, remaining, becomeReady](Result<node::PaymentResult> lookup) {
                          // Callbacks check a raw pointer once, so the compiler too can see it is
                          // never null below.
                          PaymentEngine* const engine = self.data();
                          if (!engine) {
                              return;
                          }
                          engine->applyLookup(id, lookup);
                          if (--*remaining == 0) {
                              becomeReady();
                          }
                      });
    }
}

void PaymentEngine::reconcileNow()
{
    auto unresolved = m_store.ledger().unresolved();
    if (!unresolved) {
        return;
    }
    for (const store::PaymentRecord& record : unresolved.value()) {
        follow(record.id);
    }
}

void PaymentEngine::follow(int64_t paymentId)
{
    if (m_following.contains(paymentId)) {
        return;
    }
    auto found = m_store.ledger().find(paymentId);
    if (!found || !found.value()) {
        return;
    }
    m_following.insert(paymentId, true);
    QPointer<PaymentEngine> self(this);
    m_node.lookup(found.value()->payment.paymentHash,
                  [self, paymentId](Result<node::PaymentResult> lookup) {
                      PaymentEngine* const engine = self.data();
                      if (!engine) {
                          return;
                      }
                      engine->m_following.remove(paymentId);
                      engine->applyLookup(paymentId, lookup);
                  });
}

void PaymentEngine::applyLookup(int64_t paymentId, const Result<node::PaymentResult>& lookup)
{
    auto found = m_store.ledger().find(paymentId);
    if (!found || !found.value() ||
        (found.value()->status != PaymentStatus::Initiated &&
         found.value()->status != PaymentStatus::InFlight)) {
        return;
    }
    if (!lookup) {
        if (lookup.error().code == QLatin1String(node::node_error::kNotFound)) {
            // The node never saw this hash: the process stopped before the node was asked.
            completeFailure(paymentId, QStringLiteral("not_sent"),
                            QStringLiteral("The node has no record of this payment; it was "
                                           "never sent."));
        }
        return; // node unreachable: stays unresolved, looked up again later
    }
    const node::PaymentResult& result = lookup.value();
    switch (result.outcome) {
    case node::PaymentResult::Outcome::Succeeded: {
        auto credential = completeSuccess(paymentId, result.preimage, result.feeMsat);
        if (credential) {
            const store::NewPayment& payment = found.value()->payment;
            record(DecisionEvent{QStringLiteral("recovered"), payment.origin, payment.agent,
                                 payment.amountMsat, QString(),
                                 QStringLiteral("The node completed this payment while its "
                                                "outcome was unknown; the token was kept."),
                                 paymentId});
        }
        break;
    }
    case node::PaymentResult::Outcome::Failed:
        completeFailure(paymentId, result.failureCode, result.failureMessage);
        break;
    case node::PaymentResult::Outcome::InFlight:
        break;
    }
}

QList<Token> PaymentEngine::activeTokens(const QString& origin)
{
    auto cached = m_originTokens.constFind(origin);
    if (cached != m_originTokens.constEnd()) {
        const int64_t now = m_clock.nowSeconds();
        const bool anyExpired =
            std::any_of(cached->cbegin(), cached->cend(), [now](const Token& token) {
                return token.expiresAt && *token.expiresAt <= now;
            });
        if (!anyExpired) {
            return cached.value();
        }
    }
    const bool reload = cached != m_originTokens.constEnd();
    policy::UsageNeutralWrite neutral(m_budgets);
    auto tokens = m_tokens.activeForOrigin(origin); // marks expired ones
    if (!tokens) {
        log::warning(tokens.error().message);
        return {};
    }
    m_originTokens.insert(origin, tokens.value());
    if (reload && m_tokenListener) {
        m_tokenListener(origin); // some expired
    }
    return tokens.value();
}

QList<Token> PaymentEngine::activeTokensFor(const policy::Origin& origin)
{
    return activeTokens(origin.toString());
}

void PaymentEngine::tokensChanged(const QString& origin)
{
    m_originTokens.remove(origin);
    if (m_tokenListener) {
        m_tokenListener(origin);
    }
}

void PaymentEngine::spendingSwitchChangedElsewhere()
{
    if (auto loaded = m_spendingSwitch.reload(); !loaded) {
        log::warning(loaded.error().message);
    }
    if (auto loaded = m_drainGuard.reload(); !loaded) { // resume --origin
        log::warning(loaded.error().message);
    }
}

void PaymentEngine::tokensChangedElsewhere(const QStringList& origins)
{
    for (const QString& origin : origins) {
        tokensChanged(origin);
    }
}

namespace {

Credential credentialOf(const Token& token)
{
    Credential credential;
    credential.headerValue = token.authorizationValue();
    credential.tokenId = token.id;
    credential.boughtBy = token.agent;
    return credential;
}

QStringList servicesOf(const protocol::L402Challenge& challenge)
{
    QStringList services;
    if (auto macaroon = protocol::Macaroon::fromBase64(challenge.macaroonBase64)) {
        for (const auto& service : protocol::ApertureCaveats::fromMacaroon(*macaroon).services) {
            services.append(service.name);
        }
    }
    services.sort();
    return services;
}

} // namespace

std::optional<Credential> PaymentEngine::cachedCredential(const policy::Origin& origin,
                                                          const QString& path)
{
    const QString key = origin.toString();
    const QList<Token> tokens = activeTokens(key);
    if (tokens.isEmpty()) {
        return std::nullopt;
    }
    if (const int64_t forPath = m_pathTokens.value(key + path)) {
        for (const Token& token : tokens) {
            if (token.id == forPath) {
                return credentialOf(token);
            }
        }
    }
    return credentialOf(tokens.first());
}

void PaymentEngine::handlePaymentRequired(const RequestContext& context,
                                          const QList<QByteArray>& wwwAuthenticate, Done done)
{
    if (!m_ready) {
        m_waitingForReady.append([this, context, wwwAuthenticate, done = std::move(done)] {
            handlePaymentRequired(context, wwwAuthenticate, done);
        });
        return;
    }
    const QString originKey = context.origin.toString();
    const protocol::ParsedChallenges parsed = protocol::parseChallenges(wwwAuthenticate);
    const auto preferred = parsed.preferred();
    QString key;
    if (const auto* l402 = std::get_if<protocol::L402Challenge>(&preferred)) {
        // Tokens are per origin and service (Aperture mints one per service). A token of
        // this origin that covers what the challenge asks for, other than the one the
        // request carried, was bought after the request left: retry with it, never pay
        // again (DESIGN §3.4). Only a token that covered the service and still met a 402 is
        // rejected.
        const QStringList services = servicesOf(*l402);
        for (const Token& token : activeTokens(originKey)) {
            if (context.ownTokensOnly && token.agent != context.agent) {
                continue; // another agent's secret: this caller buys its own
            }
            if (token.id != context.sentTokenId && token.covers(services)) {
                m_pathTokens.insert(originKey + context.path, token.id);
                done(credentialOf(token));
                return;
            }
            if (token.id == context.sentTokenId && token.covers(services) && !services.isEmpty()) {
                if (auto marked = m_tokens.markRejected(token.id); !marked) {
                    log::warning(marked.error().message);
                }
                tokensChanged(originKey);
                tokenRejected(context, token);
            }
        }
        if (context.sentTokenId != 0 && services.isEmpty()) {
            // Nothing says what the token was for: the server refused it.
            // Only a token of this origin, and over the socket only the caller's own: an
            // agent cannot have another agent's token thrown away.
            std::optional<Token> sent;
            for (const Token& token : activeTokens(originKey)) {
                if (token.id == context.sentTokenId &&
                    (!context.ownTokensOnly || token.agent == context.agent)) {
                    sent = token;
                }
            }
            if (sent) {
                {
                    policy::UsageNeutralWrite neutral(m_budgets);
                    if (auto marked = m_tokens.markRejected(sent->id); !marked) {
                        log::warning(marked.error().message);
                    }
                }
                tokensChanged(originKey);
                tokenRejected(context, *sent);
            }
        }
        key = originKey + u'|' + services.join(u',');
        if (context.ownTokensOnly) {
            key += u'|' + context.agent; // the token it buys is this agent's alone
        }

    } else if (const auto* mpp = std::get_if<protocol::PaymentChallenge>(&preferred)) {
        key = QStringLiteral("payment:") + originKey + u'#' + mpp->id;
    } else {
        key = QStringLiteral("invalid:") + QString::number(++m_anonymousFlights);
    }
    if (context.reportOnly) {
        key += QStringLiteral("|report"); // never joined by a request that may pay
    }
    // Remember which token this path takes once the flight ends.
    Done wrapped = [this, originKey, path = context.path,
                    done = std::move(done)](Result<Credential> result) {
        if (result && result->tokenId) {
            m_pathTokens.insert(originKey + path, result->tokenId);
        }
        done(std::move(result));
    };
    if (auto existing = m_flights.value(key)) {
        existing->waiters.append(std::move(wrapped));
        return;
    }
    auto flight = std::make_shared<Flight>();
    flight->key = key;
    flight->context = context;
    flight->waiters.append(std::move(wrapped));
    m_flights.insert(key, flight);
    startFlight(context, wwwAuthenticate, flight);
}

void PaymentEngine::startFlight(const RequestContext& context,
                                const QList<QByteArray>& wwwAuthenticate,
                                const std::shared_ptr<Flight>& flight)
{
    Q_UNUSED(context);
    const protocol::ParsedChallenges parsed = protocol::parseChallenges(wwwAuthenticate);
    const auto preferred = parsed.preferred();
    auto offer = std::make_shared<Offer>();
    if (const auto* l402 = std::get_if<protocol::L402Challenge>(&preferred)) {
        auto macaroon = protocol::Macaroon::fromBase64(l402->macaroonBase64);
        if (!macaroon) {
            refuse(flight,
                   Error{QLatin1String(engine_error::kInvalidChallenge),
                         QStringLiteral("The server's L402 macaroon cannot be read: %1")
                             .arg(macaroon.error().message)},
                   0, QStringLiteral("refused"));
            return;
        }
        offer->isL402 = true;
        offer->scheme = l402->isLegacyLsat() ? QStringLiteral("LSAT") : QStringLiteral("L402");
        offer->macaroon = macaroon.value();
        offer->invoice.text = l402->invoice; // decoded and checked in decide()
        offer->expiresAt =
            protocol::ApertureCaveats::fromMacaroon(offer->macaroon).earliestValidUntil();
    } else if (const auto* mpp = std::get_if<protocol::PaymentChallenge>(&preferred)) {
        offer->isL402 = false;
        offer->scheme = QStringLiteral("Payment");
        offer->mpp = *mpp;
        offer->invoice.text = mpp->invoice;
    } else {
        QString why = QStringLiteral("The 402 answer carries no L402 or lightning Payment "
                                     "challenge the wallet can pay.");
        if (!parsed.problems.isEmpty()) {
            why += u' ' + parsed.problems.first().message;
        } else if (!parsed.payment.isEmpty() && !parsed.payment.first().supported) {
            why += u' ' + parsed.payment.first().unsupportedReason;
        }
        refuse(flight, Error{QLatin1String(engine_error::kInvalidChallenge), why}, 0,
               QStringLiteral("refused"));
        return;
    }
    QPointer<PaymentEngine> self(this);
    withNodeNetwork([self, flight, offer](Result<protocol::Network> network) {
        PaymentEngine* const engine = self.data();
        if (!engine) {
            return;
        }
        if (!network) {
            engine->refuse(flight,
                           Error{QLatin1String(engine_error::kNodeUnavailable),
                                 QStringLiteral("No payment was made: the node cannot be "
                                                "reached (%1).")
                                     .arg(network.error().message)},
                           0, QStringLiteral("failed"));
            return;
        }
        protocol::InvoiceExpectations expectations;
        expectations.nodeNetwork = network.value();
        expectations.expiryMarginSeconds = engine->m_settings.expiryMarginSeconds;
        if (offer->isL402) {
            auto identifier = protocol::L402Identifier::parse(offer->macaroon.identifier());
            if (!identifier) {
                engine->refuse(flight,
                               Error{QLatin1String(engine_error::kInvalidChallenge),
                                     QStringLiteral("The macaroon's identifier is not an L402 "
                                                    "identifier: %1")
                                         .arg(identifier.error().message)},
                               0, QStringLiteral("refused"));
                return;
            }
            expectations.binding = protocol::InvoiceExpectations::Binding::L402Macaroon;
            expectations.expectedPaymentHash = identifier->paymentHash;
        } else {
            expectations.binding = protocol::InvoiceExpectations::Binding::MppCharge;
        }
        auto invoice =
            protocol::checkInvoiceForPayment(offer->invoice.text, expectations, engine->m_clock);
        if (!invoice) {
            engine->refuse(flight, invoice.error(), 0, QStringLiteral("refused"));
            return;
        }
        offer->invoice = invoice.value();
        if (!offer->isL402) {
            if (auto agrees = protocol::checkPaymentChallenge(offer->mpp, offer->invoice);
                !agrees) {
                engine->refuse(flight, agrees.error(), 0, QStringLiteral("refused"));
                return;
            }
        }
        offer->amountMsat = static_cast<int64_t>(offer->invoice.amountMsat.value_or(0));
        engine->decide(flight, offer);
    });
}

void PaymentEngine::withNodeNetwork(std::function<void(Result<protocol::Network>)> then)
{
    if (m_nodeNetwork) {
        then(*m_nodeNetwork);
        return;
    }
    QPointer<PaymentEngine> self(this);
    m_node.info([self, then = std::move(then)](Result<node::NodeInfo> info) {
        PaymentEngine* const engine = self.data();
        if (!engine) {
            return;
        }
        if (!info) {
            then(Result<protocol::Network>(info.error()));
            return;
        }
        engine->m_nodeNetwork = info->network;
        then(info->network);
    });
}

void PaymentEngine::decide(const std::shared_ptr<Flight>& flight,
                           const std::shared_ptr<Offer>& offer)
{
    const RequestContext& context = flight->context;
    if (context.reportOnly) {
        // One payment per request: the server refused what it was just paid for.
        const QString origin = context.origin.toString();
        refuse(flight,
               m_drainGuard.pausedUntil(origin)
                   ? m_drainGuard.refusalFor(origin)
                   : Error{QStringLiteral("token_rejected"),
                           QStringLiteral("%1 asked for payment again right after it was paid; "
                                          "the wallet will not pay twice for one request.")
                               .arg(origin)},
               offer->amountMsat, QStringLiteral("refused"));
        return;
    }
    if (auto paused = m_spendingSwitch.refusalFor(context.agent)) { // the kill switch first
        refuse(flight, *paused, offer->amountMsat, QStringLiteral("refused"));
        return;
    }
    if (context.maxCostMsat && offer->amountMsat > *context.maxCostMsat) {
        refuse(flight,
               Error{QLatin1String(engine_error::kOverMaxCost),
                     QStringLiteral("%1 asks for %2, more than the maximum cost of %3.")
                         .arg(context.origin.toString(), sat(offer->amountMsat),
                              sat(*context.maxCostMsat))},
               offer->amountMsat, QStringLiteral("refused"));
        return;
    }
    // An agent may lower the wallet's routing-fee cap for its own payments, never raise it.
    offer->feeLimitMsat =
        std::min(context.maxFeeMsat.value_or(INT64_MAX), m_settings.feeLimitFor(offer->amountMsat));
    auto verdict =
        m_budgets.evaluate(context.origin, context.agent, offer->amountMsat, offer->feeLimitMsat);
    if (!verdict) {
        refuse(flight, walletError(verdict.error()), offer->amountMsat, QStringLiteral("failed"));
        return;
    }
    if (verdict->refusal) {
        refuse(flight, *verdict->refusal, offer->amountMsat, QStringLiteral("refused"));
        return;
    }
    if (m_drainGuard.pausedUntil(context.origin.toString())) {
        // The drain guard paused this site: refused, or asked (never a remembered yes) when
        // its rule asks anyway.
        if (!verdict->rule.needsApproval(offer->amountMsat)) {
            refuse(flight, m_drainGuard.refusalFor(context.origin.toString()), offer->amountMsat,
                   QStringLiteral("refused"));
            return;
        }
        askUser(flight, offer, verdict.value());
        return;
    }
    if (const auto spike = priceSpike(context, *offer)) {
        // Asked even where the rule pays without asking, and never answered by a remembered
        // yes; with nobody to ask, refused.
        if (!m_broker.answerable()) {
            refuse(flight,
                   Error{QLatin1String(refusal_error::kPriceSpike),
                         *spike + QStringLiteral(" Nobody is there to approve it; pay it once "
                                                 "with the window open or serve running.")},
                   offer->amountMsat, QStringLiteral("refused"));
            return;
        }
        askUser(flight, offer, verdict.value(), {QStringLiteral("Price spike: ") + *spike});
        return;
    }
    if (verdict->rule.needsApproval(offer->amountMsat)) {
        if (const auto remembered = rememberedDecision(context, offer->amountMsat)) {
            if (!*remembered) {
                refuse(flight,
                       Error{QLatin1String(engine_error::kDenied),
                             QStringLiteral("Payments to %1 were denied earlier and the answer "
                                            "was remembered.")
                                 .arg(context.origin.toString())},
                       offer->amountMsat, QStringLiteral("denied"));
                return;
            }
        } else {
            askUser(flight, offer, verdict.value());
            return;
        }
    }
    pay(flight, offer);
}

std::optional<QString> PaymentEngine::priceSpike(const RequestContext& context, const Offer& offer)
{
    if (!offer.isL402 || m_settings.priceSpikeFactor <= 0) {
        return std::nullopt;
    }
    QStringList services;
    for (const auto& service : protocol::ApertureCaveats::fromMacaroon(offer.macaroon).services) {
        services.append(service.name);
    }
    services.sort();
    const QString origin = context.origin.toString();
    auto tokens = m_tokens.recentForOrigin(origin, 64);
    if (!tokens) {
        return std::nullopt; // the budget still holds; the guard only asks
    }
    // The newest token of this origin and service, whatever became of it (expired,
    // rejected); one removed by the owner has lost its macaroon and says nothing.
    const Token* last = nullptr;
    for (const Token& token : tokens.value()) { // newest first
        QStringList bought = token.services;
        bought.sort();
        if (token.origin == origin && bought == services && token.amountMsat > 0) {
            last = &token;
            break;
        }
    }
    int64_t limit = 0;
    if (!last || __builtin_mul_overflow(last->amountMsat, m_settings.priceSpikeFactor, &limit) ||
        offer.amountMsat <= limit) {
        return std::nullopt;
    }
    return QStringLiteral("%1 asks %2 now; it was paid %3 last time (more than %4x).")
        .arg(origin, sat(offer.amountMsat), sat(last->amountMsat))
        .arg(m_settings.priceSpikeFactor);
}

void PaymentEngine::askUser(const std::shared_ptr<Flight>& flight,
                            const std::shared_ptr<Offer>& offer,
                            const policy::BudgetVerdict& verdict, const QStringList& notes)
{
    const RequestContext& context = flight->context;
    policy::ApprovalRequest request;
    request.origin = context.origin.toString();
    request.agent = context.agent;
    request.amountMsat = offer->amountMsat;
    request.description = offer->invoice.description.value_or(context.resource);
    request.budgetImpact = policy::describeImpact(verdict, offer->amountMsat, offer->feeLimitMsat);
    request.heldTo = policy::describeRules(verdict, offer->amountMsat, offer->feeLimitMsat);
    request.notes = notes;
    if (m_drainGuard.pausedUntil(request.origin)) {
        request.notes.append(m_drainGuard.refusalFor(request.origin).message);
    }
    QPointer<PaymentEngine> self(this);
    m_broker.ask(request, [self, flight, offer, verdict](const ApprovalAnswer& answer) {
        PaymentEngine* const engine = self.data();
        if (!engine) {
            return;
        }
        const RequestContext& asked = flight->context;
        const QString site = asked.origin.toString();
        switch (answer.outcome) {
        case ApprovalAnswer::Outcome::Approved:
            engine->remember(asked, offer->amountMsat, true, answer.remember, verdict);
            // The invoice may have come close to its expiry while the prompt was open.
            if (offer->invoice.expiresAt() - engine->m_settings.expiryMarginSeconds <=
                engine->m_clock.nowSeconds()) {
                engine->refuse(flight,
                               Error{QLatin1String(protocol::check_error::kInvoiceExpired),
                                     QStringLiteral("The invoice from %1 expired while waiting "
                                                    "for approval; the agent can retry.")
                                         .arg(site)},
                               offer->amountMsat, QStringLiteral("refused"));
                return;
            }
            engine->pay(flight, offer);
            return;
        case ApprovalAnswer::Outcome::Denied:
            engine->remember(asked, offer->amountMsat, false, answer.remember, verdict);
            engine->refuse(flight,
                           Error{QLatin1String(engine_error::kDenied),
                                 QStringLiteral("The payment of %1 to %2 was denied.")
                                     .arg(sat(offer->amountMsat), site)},
                           offer->amountMsat, QStringLiteral("denied"));
            return;
        case ApprovalAnswer::Outcome::TimedOut:
            engine->refuse(flight,
                           Error{QLatin1String(engine_error::kApprovalTimeout),
                                 QStringLiteral("Nobody approved the payment of %1 to %2 in time, "
                                                "so it was not made.")
                                     .arg(sat(offer->amountMsat), site)},
                           offer->amountMsat, QStringLiteral("timed_out"));
            return;
        case ApprovalAnswer::Outcome::NobodyToAsk:
            engine->refuse(flight,
                           Error{QLatin1String(engine_error::kDenied),
                                 QStringLiteral("The payment of %1 to %2 needs approval and nobody "
                                                "is there to give it (open the wallet window, or "
                                                "answer with `l402-wallet approve` while `serve` "
                                                "runs).")
                                     .arg(sat(offer->amountMsat), site)},
                           offer->amountMsat, QStringLiteral("denied"));
            return;
        }
    });
}

void PaymentEngine::pay(const std::shared_ptr<Flight>& flight, const std::shared_ptr<Offer>& offer)
{
    const RequestContext& context = flight->context;
    if (auto paused = m_spendingSwitch.refusalFor(context.agent)) { // paused while asking
        refuse(flight, *paused, offer->amountMsat, QStringLiteral("refused"));
        return;
    }
    auto reservation =
        m_budgets.reserve(context.origin, context.agent, offer->amountMsat, offer->feeLimitMsat);
    if (!reservation) {
        const bool refusal =
            reservation.error().code.startsWith(QLatin1String("budget_")) ||
            reservation.error().code == QLatin1String(policy::budget_error::kBlocked) ||
            reservation.error().code == QLatin1String(policy::budget_error::kOverMaxPayment);
        refuse(flight, refusal ? reservation.error() : walletError(reservation.error()),
               offer->amountMsat, refusal ? QStringLiteral("refused") : QStringLiteral("failed"));
        return;
    }
    crashPoint(kCrashAfterReservation);

    store::NewPayment payment;
    payment.origin = context.origin.toString();
    payment.agent = context.agent;
    payment.scheme = offer->scheme;
    payment.invoice = offer->invoice.text;
    payment.paymentHash = offer->invoice.paymentHash;
    payment.amountMsat = offer->amountMsat;
    payment.feeLimitMsat = offer->feeLimitMsat;
    payment.credential = offer->isL402 ? offer->macaroon.toBinaryV2() : QByteArray();
    // The reservation becomes the payment row at the same cost, in one transaction.
    auto initiated = [&]() -> Result<int64_t> {
        policy::UsageNeutralWrite neutral(m_budgets);
        auto transaction = Transaction::begin(m_store.database());
        if (!transaction) {
            return Result<int64_t>(walletError(transaction.error()));
        }
        auto id = m_store.ledger().recordInitiated(payment);
        if (!id) {
            // duplicate_payment: this hash was paid or is being paid; never a second time.
            return Result<int64_t>(
                id.error().code == QLatin1String(store::ledger_error::kDuplicate)
                    ? Error{QLatin1String(engine_error::kPaymentPending),
                            QStringLiteral("This invoice is already being paid or was paid "
                                           "(%1); it will not be paid again.")
                                .arg(id.error().message)}
                    : walletError(id.error()));
        }
        if (auto linked = m_budgets.linkReservation(reservation.value(), id.value()); !linked) {
            return Result<int64_t>(walletError(linked.error()));
        }
        if (auto committed = (*transaction)->commit(); !committed) {
            return Result<int64_t>(walletError(committed.error()));
        }
        return id;
    }();
    if (!initiated) {
        // Nothing was written and the node was not asked: the reserved money is free again.
        if (auto released = m_budgets.releaseReservation(reservation.value()); !released) {
            log::warning(released.error().message); // released at the next start instead
        }
        refuse(flight, initiated.error(), offer->amountMsat,
               initiated.error().code == QLatin1String(engine_error::kWallet)
                   ? QStringLiteral("failed")
                   : QStringLiteral("refused"));
        return;
    }
    const int64_t paymentId = initiated.value();
    crashPoint(kCrashAfterInitiated);
    if (auto marked =
            [&] {
                policy::UsageNeutralWrite neutral(m_budgets);
                return m_store.ledger().markInFlight(paymentId);
            }();
        !marked) {
        // Still `initiated`: the node was not asked. Leave it to reconciliation.
        refuse(flight, walletError(marked.error()), offer->amountMsat, QStringLiteral("failed"));
        return;
    }
    Q_EMIT paymentChanged(paymentId);

    node::PayRequest request;
    request.invoice = offer->invoice.text;
    request.paymentHash = offer->invoice.paymentHash;
    request.amountMsat = offer->amountMsat;
    request.maxFeeMsat = offer->feeLimitMsat;
    request.timeout = m_settings.paymentTimeout;
    QPointer<PaymentEngine> self(this);
    m_node.pay(request, [self, flight, offer, paymentId](node::PaymentResult result) {
        if (PaymentEngine* const engine = self.data()) {
            engine->onPayResult(flight, offer, paymentId, result);
        }
    });
}

void PaymentEngine::onPayResult(const std::shared_ptr<Flight>& flight,
                                const std::shared_ptr<Offer>& offer, int64_t paymentId,
                                const node::PaymentResult& result)
{
    const RequestContext& context = flight->context;
    const QString site = context.origin.toString();
    switch (result.outcome) {
    case node::PaymentResult::Outcome::Succeeded: {
        crashPoint(kCrashAfterNodeSuccess);
        auto credential = completeSuccess(paymentId, result.preimage, result.feeMsat);
        if (!credential) {
            // A "success" whose preimage does not fit is no proof of payment: the attempt
            // stays unresolved for the node's lookup to settle.
            follow(paymentId);
            finish(flight, Error{QLatin1String(engine_error::kPaymentPending),
                                 QStringLiteral("The node's answer for the payment to %1 could "
                                                "not be confirmed (%2); it will be checked "
                                                "again.")
                                     .arg(site, credential.error().message)});
            return;
        }
        if (!offer->isL402) {
            // A Payment credential answers this one challenge, once: built here, never stored.
            auto value = protocol::paymentAuthorizationValue(offer->mpp, result.preimage);
            if (!value) {
                finish(flight, value.error());
                return;
            }
            credential->headerName = offer->mpp.credentialHeaderName();
            credential->headerValue = value.value();
        }
        finish(flight, credential.value());
        return;
    }
    case node::PaymentResult::Outcome::Failed: {
        const bool unreachable =
            result.failureCode == QLatin1String(node::node_error::kUnreachable) ||
            result.failureCode == QLatin1String(node::node_error::kUnauthorized) ||
            result.failureCode == QLatin1String(node::node_error::kCertificate);
        completeFailure(paymentId, result.failureCode, result.failureMessage);
        finish(flight, Error{QLatin1String(unreachable ? engine_error::kNodeUnavailable
                                                       : engine_error::kPaymentFailed),
                             QStringLiteral("The payment of %1 to %2 failed: %3")
                                 .arg(sat(offer->amountMsat), site, result.failureMessage)});
        return;
    }
    case node::PaymentResult::Outcome::InFlight:
        record(DecisionEvent{QStringLiteral("pending"), site, context.agent, offer->amountMsat,
                             QLatin1String(engine_error::kPaymentPending), result.failureMessage,
                             paymentId});
        finish(flight, Error{QLatin1String(engine_error::kPaymentPending),
                             QStringLiteral("The payment of %1 to %2 is still pending at the "
                                            "node; retry later and the wallet will use the "
                                            "token once it settles.")
                                 .arg(sat(offer->amountMsat), site)});
        return;
    }
}

Result<Credential> PaymentEngine::completeSuccess(int64_t paymentId, const QByteArray& preimage,
                                                  int64_t feeMsat)
{
    using R = Result<Credential>;
    auto found = m_store.ledger().find(paymentId);
    if (!found) {
        return R(walletError(found.error()));
    }
    if (!found.value()) {
        return R(walletError(Error{QStringLiteral("not_found"),
                                   QStringLiteral("payment #%1 is missing").arg(paymentId)}));
    }
    const store::NewPayment payment = found.value()->payment;
    auto macaroonBytes = m_store.ledger().credential(paymentId);
    if (!macaroonBytes) {
        return R(walletError(macaroonBytes.error()));
    }
    Token token;
    Credential credential;
    {
        auto transaction = Transaction::begin(m_store.database());
        if (!transaction) {
            return R(walletError(transaction.error()));
        }
        if (auto marked = m_store.ledger().markSucceeded(paymentId, preimage, feeMsat); !marked) {
            return R(marked.error());
        }
        if (auto released = m_budgets.releaseForPayment(paymentId); !released) {
            return R(walletError(released.error()));
        }
        if (payment.scheme != QLatin1String("Payment") && !macaroonBytes->isEmpty()) {
            token.origin = payment.origin;
            token.agent = payment.agent;
            token.scheme = payment.scheme;
            token.paymentHash = payment.paymentHash;
            token.macaroon = macaroonBytes.value();
            token.preimage = preimage;
            token.amountMsat = payment.amountMsat;
            token.createdAt = m_clock.nowSeconds();
            token.paymentId = paymentId;
            if (auto macaroon = protocol::Macaroon::fromBinary(token.macaroon)) {
                token.expiresAt =
                    protocol::ApertureCaveats::fromMacaroon(macaroon.value()).earliestValidUntil();
            }
            auto id = m_tokens.insert(token);
            if (!id) {
                return R(walletError(id.error()));
            }
            token.id = id.value();
            token.status = QStringLiteral("active");
        }
        if (auto committed = (*transaction)->commit(); !committed) {
            return R(walletError(committed.error()));
        }
    }
    // Pending, the payment counted its whole fee limit; settled, it counts its real fee.
    m_budgets.adjustUsage(payment.origin, payment.agent, found.value()->createdAt,
                          feeMsat - payment.feeLimitMsat);
    if (token.id) {
        tokensChanged(token.origin);
        credential.headerValue = token.authorizationValue();
        credential.tokenId = token.id;
        credential.boughtBy = token.agent;
    }
    credential.payment =
        PaymentSummary{paymentId, payment.amountMsat, feeMsat, payment.paymentHash};
    record(DecisionEvent{
        QStringLiteral("paid"), payment.origin, payment.agent, payment.amountMsat, QString(),
        QStringLiteral("Paid %1 (fee %2).").arg(sat(payment.amountMsat), sat(feeMsat)), paymentId});
    Q_EMIT paymentChanged(paymentId);
    checkAnomaly(payment.agent, payment.origin);
    return credential;
}

void PaymentEngine::completeFailure(int64_t paymentId, const QString& code, const QString& message)
{
    auto found = m_store.ledger().find(paymentId);
    if (!found || !found.value()) {
        return;
    }
    const store::PaymentRecord failed = *found.value();
    // When this cannot be written the attempt stays unresolved (and its reservation held):
    // the next reconciliation tries again. Money is never counted free by mistake.
    auto transaction = Transaction::begin(m_store.database());
    Status written = transaction ? Status(Unit{}) : Status(transaction.error());
    if (written) {
        written = m_store.ledger().markFailed(paymentId, code, message);
    }
    if (written) {
        written = m_budgets.releaseForPayment(paymentId);
    }
    if (written) {
        written = (*transaction)->commit();
    }
    if (!written) {
        log::warning(QStringLiteral("Payment #%1 failed at the node, but the wallet could not "
                                    "record it yet: %2")
                         .arg(paymentId)
                         .arg(written.error().message));
        return;
    }
    m_budgets.adjustUsage(failed.payment.origin, failed.payment.agent, failed.createdAt,
                          -(failed.payment.amountMsat + failed.payment.feeLimitMsat));
    record(DecisionEvent{QStringLiteral("failed"), failed.payment.origin, failed.payment.agent,
                         failed.payment.amountMsat, code, message, paymentId});
    Q_EMIT paymentChanged(paymentId);
}

void PaymentEngine::refuse(const std::shared_ptr<Flight>& flight, const Error& error,
                           int64_t amountMsat, const QString& kind)
{
    record(DecisionEvent{kind, flight->context.origin.toString(), flight->context.agent, amountMsat,
                         error.code, error.message, 0});
    finish(flight, error);
}

void PaymentEngine::finish(const std::shared_ptr<Flight>& flight, Result<Credential> result)
{
    if (m_flights.value(flight->key) == flight) {
        m_flights.remove(flight->key);
    }
    const QList<Done> waiters = std::exchange(flight->waiters, {});
    for (qsizetype i = 0; i < waiters.size(); ++i) {
        if (i == 0 || !result) {
            waiters[i](result);
        } else {
            // Requests that joined share the token; the payment is reported once, to the
            // request that started it.
            Credential shared = result.value();
            shared.payment.reset();
            waiters[i](shared);
        }
    }
}

std::optional<bool> PaymentEngine::rememberedDecision(const RequestContext& context,
                                                      int64_t amountMsat)
{
    const QString origin = context.origin.toString();
    for (const SessionDecision& decision : m_sessionDecisions) {
        if (decision.origin == origin && decision.agent == context.agent &&
            (!decision.approve || amountMsat <= decision.maxAmountMsat)) {
            return decision.approve;
        }
    }
    auto statement = m_store.database().prepare(
        "SELECT decision, max_amount_msat FROM remembered_decisions WHERE origin = ?1 AND "
        "agent = ?2 AND (expires_at IS NULL OR expires_at > ?3) ORDER BY id DESC");
    if (!statement) {
        return std::nullopt;
    }
    statement->bind(1, origin).bind(2, context.agent).bind(3, m_clock.nowSeconds());
    while (true) {
        auto row = statement->step();
        if (!row || !row.value()) {
            return std::nullopt;
        }
        const bool approve = statement->text(0) == QLatin1String("approve");
        if (!approve) {
            return false;
        }
        if (statement->isNull(1) || amountMsat <= statement->integer(1)) {
            return true;
        }
    }
}

void PaymentEngine::remember(const RequestContext& context, int64_t amountMsat, bool approve,
                             policy::Remember scope, const policy::BudgetVerdict& verdict)
{
    const QString origin = context.origin.toString();
    policy::UsageNeutralWrite neutral(m_budgets);
    switch (scope) {
    case policy::Remember::Once:
        return;
    case policy::Remember::Session:
        m_sessionDecisions.append({origin, context.agent, approve, amountMsat});
        return;
    case policy::Remember::OneHour: {
        auto statement = m_store.database().prepare(
            "INSERT INTO remembered_decisions (origin, agent, decision, scope, max_amount_msat, "
            "created_at, expires_at) VALUES (?1, ?2, ?3, '1h', ?4, ?5, ?6)");
        if (statement) {
            statement->bind(1, origin)
                .bind(2, context.agent)
                .bind(3, approve ? QStringLiteral("approve") : QStringLiteral("deny"))
                .bind(4, amountMsat)
                .bind(5, m_clock.nowSeconds())
                .bind(6, m_clock.nowSeconds() + 3600);
            if (auto done = statement->run(); !done) {
                log::warning(QStringLiteral("Could not remember the decision: %1")
                                 .arg(done.error().message));
            }
        }
        return;
    }
    case policy::Remember::Always: {
        // "Always" becomes a budget rule for this site (and agent), visible and editable in
        // Budgets: approve -> pay without asking up to this amount, ask above it, keeping the
        // limits of the rule that applied; deny -> block the site.
        policy::BudgetRule rule = verdict.builtInDefault ? policy::BudgetRule{} : verdict.rule;
        rule.id = 0;
        rule.pattern = context.origin.isDefaultPort()
                           ? context.origin.host
                           : context.origin.host + u':' + QString::number(context.origin.port);
        if (context.origin.host.contains(u':')) {
            rule.pattern =
                u'[' + context.origin.host + u']' +
                (context.origin.isDefaultPort() ? QString()
                                                : u':' + QString::number(context.origin.port));
        }
        rule.agent = context.agent;
        if (approve) {
            rule.mode = policy::Mode::Ask;
            rule.askAboveMsat = amountMsat;
        } else {
            rule.mode = policy::Mode::Block;
        }
        if (auto saved = m_budgets.saveRule(rule); !saved) {
            log::warning(QStringLiteral("Could not save the remembered decision as a rule: %1")
                             .arg(saved.error().message));
        }
        return;
    }
    }
}

void PaymentEngine::record(const DecisionEvent& event)
{
    policy::UsageNeutralWrite neutral(m_budgets);
    auto statement = m_store.database().prepare(
        "INSERT INTO events (at, kind, origin, agent, amount_msat, code, message, payment_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (statement) {
        statement->bind(1, m_clock.nowSeconds())
            .bind(2, event.kind)
            .bind(3, event.origin)
            .bind(4, event.agent)
            .bind(5, event.amountMsat)
            .bind(6, event.code)
            .bind(7, event.message);
        if (event.paymentId) {
            statement->bind(8, event.paymentId);
        } else {
            statement->bind(8, std::nullopt);
        }
        if (auto done = statement->run(); !done) {
            log::warning(QStringLiteral("Could not record a payment decision: %1")
                             .arg(done.error().message));
        }
    }
    Q_EMIT decisionRecorded(event);
}

} // namespace l402::payments
