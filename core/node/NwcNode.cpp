#include "core/node/NwcNode.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Nip04.h"
#include "core/crypto/Nip44.h"
#include "core/crypto/Schnorr.h"
#include "core/protocol/NostrEvent.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QPointer>
#include <QRegularExpression>
#include <QUrlQuery>
#include <QWebSocket>

#include <algorithm>
#include <cmath>

namespace l402::node {
namespace {

// NIP-47 event kinds (47.md "Events").
constexpr int kInfoKind = 13194;
constexpr int kRequestKind = 23194;
constexpr int kResponseKind = 23195;

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

bool isHex(const QString& text, qsizetype length)
{
    static const QRegularExpression pattern(QStringLiteral("^[0-9a-fA-F]*$"));
    return text.size() == length && pattern.match(text).hasMatch();
}

// The first value of the first tag named `name`, or a null string.
QString tagValue(const QList<QStringList>& tags, const QString& name)
{
    for (const QStringList& tag : tags) {
        if (tag.size() >= 2 && tag.at(0) == name) {
            return tag.at(1);
        }
    }
    return {};
}

bool isInteger(const QJsonValue& value)
{
    return value.isDouble() && std::isfinite(value.toDouble()) &&
           std::floor(value.toDouble()) == value.toDouble();
}

Error unreachable(const QString& message)
{
    return Error{QLatin1String(node_error::kUnreachable), message};
}

Error protocolError(const QString& what)
{
    return Error{QLatin1String(node_error::kProtocol),
                 QStringLiteral("The NWC wallet sent an unexpected answer: %1").arg(what)};
}

// NIP-47 payment-refusal codes (47.md "Error codes") that mean the wallet did not start the
// payment, with the stable failure codes we report for them.
QString refusalCode(const QString& nip47Code)
{
    if (nip47Code == QLatin1String("UNAUTHORIZED")) {
        return QLatin1String(node_error::kUnauthorized);
    }
    if (nip47Code == QLatin1String("INSUFFICIENT_BALANCE")) {
        return QStringLiteral("insufficient_balance");
    }
    if (nip47Code == QLatin1String("QUOTA_EXCEEDED")) {
        return QStringLiteral("quota_exceeded");
    }
    if (nip47Code == QLatin1String("RESTRICTED")) {
        return QStringLiteral("restricted");
    }
    if (nip47Code == QLatin1String("RATE_LIMITED")) {
        return QStringLiteral("rate_limited");
    }
    if (nip47Code == QLatin1String("NOT_IMPLEMENTED")) {
        return QStringLiteral("not_implemented");
    }
    if (nip47Code == QLatin1String("UNSUPPORTED_ENCRYPTION")) {
        return QStringLiteral("unsupported_encryption");
    }
    return {};
}

struct LookupState {
    PaymentResult result;
    bool explicitlyPending = false;
};

// A lookup_invoice result (47.md "lookup_invoice": preimage, fees_paid and settled_at in
// msat/unix seconds; newer wallets add `state`: pending, settled, expired, failed).
LookupState lookupState(const QJsonObject& result, const QByteArray& paymentHash)
{
    LookupState out;
    const QString state = result.value(QStringLiteral("state")).toString();
    const QJsonValue settledAt = result.value(QStringLiteral("settled_at"));
    const bool settled = state == QLatin1String("settled") ||
                         (state.isEmpty() && isInteger(settledAt) && settledAt.toInteger() > 0);
    if (settled) {
        const QByteArray preimage =
            QByteArray::fromHex(result.value(QStringLiteral("preimage")).toString().toLatin1());
        if (preimage.size() == 32 && crypto::sha256(preimage) == paymentHash) {
            out.result.outcome = PaymentResult::Outcome::Succeeded;
            out.result.preimage = preimage;
            out.result.feeMsat = result.value(QStringLiteral("fees_paid")).toInteger();
            return out;
        }
        out.result = PaymentResult::inFlight(QStringLiteral(
            "The NWC wallet reports the payment settled without the preimage of its hash."));
        return out;
    }
    if (state == QLatin1String("failed") || state == QLatin1String("expired")) {
        out.result = PaymentResult::failed(
            QStringLiteral("payment_failed"),
            QStringLiteral("The NWC wallet reports the payment %1.").arg(state));
        return out;
    }
    out.explicitlyPending = state == QLatin1String("pending");
    out.result = PaymentResult::inFlight(QStringLiteral("The NWC wallet reports no final state."));
    return out;
}

// Why a lookup_invoice result does not describe our outgoing payment of `paymentHash`: it
// names another hash, or it is the wallet's incoming invoice of it (47.md: `type` is
// "incoming" or "outgoing"; a wallet paying its own invoice has both). Such an answer is no
// evidence either way, so it never ends a payment.
std::optional<QString> otherPaymentThan(const QJsonObject& result, const QByteArray& paymentHash)
{
    const QString hashHex = result.value(QStringLiteral("payment_hash")).toString();
    if (!hashHex.isEmpty() && QByteArray::fromHex(hashHex.toLatin1()) != paymentHash) {
        return QStringLiteral("lookup_invoice answered for another hash");
    }
    const QString type = result.value(QStringLiteral("type")).toString();
    if (!type.isEmpty() && type != QLatin1String("outgoing")) {
        return QStringLiteral("lookup_invoice answered with the %1 invoice, not the payment")
            .arg(type);
    }
    return std::nullopt;
}

} // namespace

NwcNode::NwcNode(Config config, QObject* parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_secret(m_config.secret)
{
    crypto::scrub(m_config.secret); // the only copy lives in m_secret
    m_walletPubkeyHex = hex(m_config.walletPubkey);
    auto pubkey = crypto::xOnlyPublicKey(m_secret.view());
    if (!pubkey || !crypto::isValidXOnlyPublicKey(m_config.walletPubkey)) {
        m_keyStatus = Status::failure(
            QLatin1String(node_error::kUnauthorized),
            QStringLiteral("The NWC connection has an invalid wallet key or client secret."));
    } else {
        m_clientPubkey = pubkey.value();
        m_clientPubkeyHex = hex(m_clientPubkey);
        auto conversation = crypto::nip44::conversationKey(m_secret.view(), m_config.walletPubkey);
        if (conversation) {
            m_conversationKey = std::move(conversation.value());
        }
    }
    m_connectTimer.setSingleShot(true);
    m_infoTimer.setSingleShot(true);
    m_reconnectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_socket && m_link == Link::Connecting) {
            onSocketGone(m_socket.get());
        }
    });
    // A relay that never ends the info query: go on with what arrived (NIP-04 if nothing).
    connect(&m_infoTimer, &QTimer::timeout, this, [this] {
        if (m_link == Link::FetchingInfo) {
            finishInfo();
        }
    });
    connect(&m_reconnectTimer, &QTimer::timeout, this, [this] { openSocket(); });
}

NwcNode::~NwcNode()
{
    if (m_socket) {
        QObject::disconnect(m_socket.get(), nullptr, this, nullptr);
        m_socket->abort();
        m_socket.reset();
    }
    m_pending.clear(); // callbacks of unfinished calls are never invoked
}

Result<NwcNode::Config> NwcNode::parseUri(const QString& uri)
{
    return parse(uri, true);
}

Result<NwcNode::Config> NwcNode::fromStoredSettings(const QString& uriWithoutSecret,
                                                    QByteArrayView secret)
{
    auto config = parse(uriWithoutSecret, false);
    if (!config) {
        return config;
    }
    config->secret = secret.toByteArray();
    if (config->secret.size() != 32 || !crypto::xOnlyPublicKey(config->secret)) {
        crypto::scrub(config->secret);
        return Result<Config>::failure(QStringLiteral("node_settings"),
                                       QStringLiteral("The stored NWC secret is not a valid key."));
    }
    return config;
}

Result<NwcNode::Config> NwcNode::parse(const QString& uri, bool requireSecret)
{
    using R = Result<Config>;
    const auto invalid = [](const QString& why) {
        return R::failure(
            QStringLiteral("invalid_uri"),
            QStringLiteral("This is not a valid Nostr Wallet Connect URI: %1").arg(why));
    };
    // Parsed by hand: QUrl refuses the 64-character wallet key as a host name (a DNS label is
    // at most 63 characters), so "nostr+walletconnect://<64 hex>" is an invalid QUrl.
    const QString text = uri.trimmed();
    const QLatin1String scheme("nostr+walletconnect:");
    if (!text.startsWith(scheme, Qt::CaseInsensitive)) {
        return invalid(QStringLiteral("it must start with nostr+walletconnect://."));
    }
    QString rest = text.mid(scheme.size());
    // nostr+walletconnect://<pubkey>?... ; the first drafts of 47.md wrote
    // nostr+walletconnect:<pubkey>?... without the slashes.
    if (rest.startsWith(QLatin1String("//"))) {
        rest = rest.mid(2);
    }
    const qsizetype question = rest.indexOf(QLatin1Char('?'));
    QString pubkey = question < 0 ? rest : rest.left(question);
    if (pubkey.endsWith(QLatin1Char('/'))) {
        pubkey.chop(1);
    }
    const QUrlQuery query(question < 0 ? QString() : rest.mid(question + 1));
    Config config;
    if (!isHex(pubkey, 64)) {
        return invalid(QStringLiteral("the wallet public key must be 64 hex characters."));
    }
    config.walletPubkey = QByteArray::fromHex(pubkey.toLatin1());
    if (!crypto::isValidXOnlyPublicKey(config.walletPubkey)) {
        return invalid(QStringLiteral("the wallet public key is not a valid key."));
    }
    // `relay` is required and may repeat (47.md "Nostr Wallet Connect URI").
    for (const QString& relay :
         query.allQueryItemValues(QStringLiteral("relay"), QUrl::FullyDecoded)) {
        const QUrl relayUrl(relay, QUrl::StrictMode);
        if (!relayUrl.isValid() || relayUrl.host().isEmpty() ||
            (relayUrl.scheme() != QLatin1String("wss") &&
             relayUrl.scheme() != QLatin1String("ws"))) {
            return invalid(QStringLiteral("a relay must be a ws:// or wss:// URL."));
        }
        config.relays.append(relayUrl);
    }
    if (config.relays.isEmpty()) {
        return invalid(QStringLiteral("it names no relay."));
    }
    const QString secret = query.queryItemValue(QStringLiteral("secret"), QUrl::FullyDecoded);
    if (!requireSecret && secret.isEmpty()) {
        config.lud16 = query.queryItemValue(QStringLiteral("lud16"), QUrl::FullyDecoded);
        return config;
    }
    if (!isHex(secret, 64)) {
        return invalid(QStringLiteral("the secret must be 64 hex characters."));
    }
    config.secret = QByteArray::fromHex(secret.toLatin1());
    if (!crypto::xOnlyPublicKey(config.secret)) {
        crypto::scrub(config.secret);
        return invalid(QStringLiteral("the secret is not a valid key."));
    }
    config.lud16 = query.queryItemValue(QStringLiteral("lud16"), QUrl::FullyDecoded);
    return config;
}

QString NwcNode::uriWithoutSecret(const Config& config)
{
    QString out = QStringLiteral("nostr+walletconnect://") + hex(config.walletPubkey);
    QChar separator = QLatin1Char('?');
    for (const QUrl& relay : config.relays) {
        out += separator + QStringLiteral("relay=") +
               QString::fromLatin1(QUrl::toPercentEncoding(relay.toString()));
        separator = QLatin1Char('&');
    }
    if (!config.lud16.isEmpty()) {
        out += separator + QStringLiteral("lud16=") +
               QString::fromLatin1(QUrl::toPercentEncoding(config.lud16));
    }
    return out;
}

// ---- calls -------------------------------------------------------------------------------

namespace {

Error answerError(const QString& code, const QString& message)
{
    if (code == QLatin1String("UNAUTHORIZED") || code == QLatin1String("RESTRICTED")) {
        return Error{
            QLatin1String(node_error::kUnauthorized),
            QStringLiteral("The NWC wallet refused this connection (%1): %2").arg(code, message)};
    }
    if (code == QLatin1String("NOT_FOUND")) {
        return Error{QLatin1String(node_error::kNotFound),
                     QStringLiteral("The NWC wallet has no payment for this hash.")};
    }
    return protocolError(QStringLiteral("%1: %2").arg(code, message));
}

} // namespace

CallHandle NwcNode::info(std::function<void(Result<NodeInfo>)> done)
{
    CallHandle handle;
    request(QStringLiteral("get_info"), {}, m_config.requestTimeout, handle,
            [done, config = m_config](const Answer& answer) {
                if (answer.kind == Answer::Kind::NotSent || answer.kind == Answer::Kind::Lost) {
                    done(Result<NodeInfo>(unreachable(answer.message)));
                    return;
                }
                if (answer.kind == Answer::Kind::Error &&
                    answer.errorCode == QLatin1String("NOT_IMPLEMENTED")) {
                    // get_info is optional (47.md); the wallet answered, so it is reachable
                    // and this connection works. The chain is the configured one.
                    NodeInfo info;
                    info.backend = QStringLiteral("nwc");
                    info.alias =
                        config.lud16.isEmpty() ? QStringLiteral("NWC wallet") : config.lud16;
                    info.network = config.networkWithoutInfo;
                    done(info);
                    return;
                }
                if (answer.kind == Answer::Kind::Error) {
                    done(Result<NodeInfo>(answerError(answer.errorCode, answer.message)));
                    return;
                }
                // 47.md "get_info": alias, color, pubkey, network (mainnet, testnet, signet,
                // regtest), block_height, block_hash, methods.
                NodeInfo info;
                info.backend = QStringLiteral("nwc");
                info.alias = answer.result.value(QStringLiteral("alias")).toString();
                info.pubkey = QByteArray::fromHex(
                    answer.result.value(QStringLiteral("pubkey")).toString().toLatin1());
                const auto network = protocol::networkFromName(
                    answer.result.value(QStringLiteral("network")).toString());
                if (!network) {
                    done(Result<NodeInfo>(
                        protocolError(QStringLiteral("get_info without a known network"))));
                    return;
                }
                if (!info.pubkey.isEmpty() && info.pubkey.size() != 33) {
                    info.pubkey.clear(); // optional; a malformed one is dropped
                }
                info.network = *network;
                done(info);
            });
    return handle;
}

CallHandle NwcNode::balance(std::function<void(Result<Balance>)> done)
{
    CallHandle handle;
    request(QStringLiteral("get_balance"), {}, m_config.requestTimeout, handle,
            [done](const Answer& answer) {
                if (answer.kind == Answer::Kind::NotSent || answer.kind == Answer::Kind::Lost) {
                    done(Result<Balance>(unreachable(answer.message)));
                    return;
                }
                if (answer.kind == Answer::Kind::Error) {
                    done(Result<Balance>(answerError(answer.errorCode, answer.message)));
                    return;
                }
                // 47.md "get_balance": {"balance": <msat>}.
                const QJsonValue value = answer.result.value(QStringLiteral("balance"));
                if (!isInteger(value)) {
                    done(Result<Balance>(
                        protocolError(QStringLiteral("get_balance without a balance"))));
                    return;
                }
                Balance balance;
                balance.spendableMsat = value.toInteger();
                done(balance);
            });
    return handle;
}

CallHandle NwcNode::pay(const PayRequest& payRequest, std::function<void(PaymentResult)> done)
{
    CallHandle outer;
    const QByteArray hash = payRequest.paymentHash;
    auto finished = std::make_shared<bool>(false);
    auto finish = [finished, done, outer, hash](PaymentResult result) {
        if (result.outcome == PaymentResult::Outcome::Succeeded &&
            (result.preimage.size() != 32 || crypto::sha256(result.preimage) != hash)) {
            // A "success" without the preimage of this hash proves nothing: keep it open.
            result = PaymentResult::inFlight(
                QStringLiteral("The NWC wallet reported success with a preimage that does not "
                               "match the payment hash."));
        }
        if (!std::exchange(*finished, true) && !outer.cancelled()) {
            done(std::move(result));
        }
    };
    if (hash.size() != 32) {
        QTimer::singleShot(0, this, [finish] {
            finish(PaymentResult::failed(QStringLiteral("invalid_request"),
                                         QStringLiteral("The payment has no 32-byte hash.")));
        });
        return outer;
    }
    // 47.md "pay_invoice": params {invoice, amount?}; no fee limit exists in NIP-47, so the
    // fee can only be read from fees_paid afterwards.
    const QJsonObject params{{QStringLiteral("invoice"), payRequest.invoice}};
    const auto timeout = std::chrono::milliseconds(payRequest.timeout) + m_config.responseSlack;
    QPointer<NwcNode> self(this);
    request(QStringLiteral("pay_invoice"), params, timeout, outer,
            [self, finish, hash, outer](const Answer& answer) {
                switch (answer.kind) {
                case Answer::Kind::NotSent:
                    // The request never reached a relay: nothing can have been paid.
                    finish(PaymentResult::failed(QLatin1String(node_error::kUnreachable),
                                                 answer.message));
                    return;
                case Answer::Kind::Lost:
                    finish(PaymentResult::inFlight(answer.message));
                    return;
                case Answer::Kind::Result: {
                    PaymentResult result;
                    result.outcome = PaymentResult::Outcome::Succeeded;
                    result.preimage = QByteArray::fromHex(
                        answer.result.value(QStringLiteral("preimage")).toString().toLatin1());
                    result.feeMsat = answer.result.value(QStringLiteral("fees_paid")).toInteger();
                    finish(std::move(result));
                    return;
                }
                case Answer::Kind::Error:
                    break;
                }
                const QString refused = refusalCode(answer.errorCode);
                if (!refused.isEmpty()) {
                    finish(PaymentResult::failed(
                        refused, QStringLiteral("The NWC wallet refused the payment (%1): %2")
                                     .arg(answer.errorCode, answer.message)));
                    return;
                }
                if (answer.errorCode == QLatin1String("PAYMENT_FAILED") && self) {
                    self->lookupAfterPaymentFailed(hash, answer, outer, finish);
                    return;
                }
                // INTERNAL, OTHER or a code we do not know: it does not prove nothing was paid.
                finish(PaymentResult::inFlight(QStringLiteral("The NWC wallet answered %1: %2")
                                                   .arg(answer.errorCode, answer.message)));
            });
    return outer;
}

void NwcNode::lookupAfterPaymentFailed(const QByteArray& paymentHash, const Answer& failure,
                                       const CallHandle& outer,
                                       std::function<void(PaymentResult)> finish)
{
    // Wallets answer PAYMENT_FAILED also for a hash they already paid or are paying ("invoice
    // already paid"): look it up before calling it failed, so a repeated pay of a paid hash
    // is reported as the payment it is.
    const PaymentResult failed = PaymentResult::failed(
        QStringLiteral("payment_failed"),
        QStringLiteral("The NWC wallet could not pay: %1").arg(failure.message));
    request(QStringLiteral("lookup_invoice"),
            QJsonObject{{QStringLiteral("payment_hash"), hex(paymentHash)}},
            m_config.requestTimeout, outer, [finish, failed, paymentHash](const Answer& answer) {
                if (answer.kind == Answer::Kind::NotSent || answer.kind == Answer::Kind::Lost) {
                    finish(PaymentResult::inFlight(
                        QStringLiteral("The NWC wallet said the payment failed, but it could not "
                                       "be checked: %1")
                            .arg(answer.message)));
                    return;
                }
                if (answer.kind == Answer::Kind::Error) {
                    if (answer.errorCode == QLatin1String("NOT_FOUND")) {
                        finish(failed); // the wallet has no payment of this hash
                        return;
                    }
                    // NOT_IMPLEMENTED (lookup_invoice is optional), INTERNAL, ...: 47.md says
                    // PAYMENT_FAILED may be the wallet's own timeout, so it proves nothing.
                    finish(PaymentResult::inFlight(
                        QStringLiteral("The NWC wallet said the payment failed (%1), but it "
                                       "cannot tell what it did with it (%2: %3).")
                            .arg(failed.failureMessage, answer.errorCode, answer.message)));
                    return;
                }
                if (const auto other = otherPaymentThan(answer.result, paymentHash)) {
                    finish(PaymentResult::inFlight(*other));
                    return;
                }
                const LookupState state = lookupState(answer.result, paymentHash);
                if (state.result.outcome == PaymentResult::Outcome::Failed) {
                    finish(failed); // the wallet's record agrees
                    return;
                }
                // Settled, pending, or a wallet whose answer has no `state` (it is optional)
                // and no settled_at: only a later lookup can tell.
                finish(state.result);
            });
}

CallHandle NwcNode::lookup(const QByteArray& paymentHash,
                           std::function<void(Result<PaymentResult>)> done)
{
    CallHandle handle;
    // 47.md "lookup_invoice": params {payment_hash} (or {invoice}); NOT_FOUND when unknown.
    request(QStringLiteral("lookup_invoice"),
            QJsonObject{{QStringLiteral("payment_hash"), hex(paymentHash)}},
            m_config.requestTimeout, handle, [done, paymentHash](const Answer& answer) {
                if (answer.kind == Answer::Kind::NotSent || answer.kind == Answer::Kind::Lost) {
                    done(Result<PaymentResult>(unreachable(answer.message)));
                    return;
                }
                if (answer.kind == Answer::Kind::Error) {
                    done(Result<PaymentResult>(answerError(answer.errorCode, answer.message)));
                    return;
                }
                if (const auto other = otherPaymentThan(answer.result, paymentHash)) {
                    done(Result<PaymentResult>(protocolError(*other)));
                    return;
                }
                done(lookupState(answer.result, paymentHash).result);
            });
    return handle;
}

// ---- requests ----------------------------------------------------------------------------

void NwcNode::request(const QString& method, const QJsonObject& params,
                      std::chrono::milliseconds timeout, const CallHandle& handle,
                      AnswerCallback done)
{
    if (!m_keyStatus) {
        const Error error = m_keyStatus.error();
        QTimer::singleShot(0, this, [done, handle, error] {
            if (!handle.cancelled()) {
                Answer answer;
                answer.kind = Answer::Kind::Error;
                answer.errorCode = QStringLiteral("UNAUTHORIZED");
                answer.message = error.message;
                done(answer);
            }
        });
        return;
    }
    const quint64 key = ++m_nextKey;
    Pending& pending = m_pending[key];
    pending.method = method;
    pending.params = params;
    pending.timeout = timeout;
    pending.handle = handle;
    pending.done = std::move(done);
    pending.expiresAt = QDateTime::currentSecsSinceEpoch() +
                        (timeout.count() + 999) / 1000; // NIP-40 expiration, rounded up
    QTimer::singleShot(timeout, this, [this, key] { onDeadline(key); });
    if (m_link == Link::Ready) {
        subscribe(key);
    } else {
        ensureConnected();
    }
}

void NwcNode::subscribe(quint64 key)
{
    const auto it = m_pending.find(key);
    if (it == m_pending.end()) {
        return;
    }
    Pending& pending = it->second;
    if (pending.handle.cancelled()) {
        m_pending.erase(it); // never sent: nothing to reconcile
        return;
    }
    const QByteArray plaintext =
        QJsonDocument(QJsonObject{{QStringLiteral("method"), pending.method},
                                  {QStringLiteral("params"), pending.params}})
            .toJson(QJsonDocument::Compact);
    auto content = encryptContent(plaintext);
    if (!content) {
        Answer answer;
        answer.kind = Answer::Kind::NotSent;
        answer.message = QStringLiteral("The NWC request could not be encrypted.");
        complete(key, answer);
        return;
    }
    // 47.md "Request and Response Events": one `p` tag (the wallet), an optional
    // `expiration` (unix seconds; a request received later is ignored), and with NIP-44 the
    // `encryption` tag naming the scheme ("nip44_v2"; absent means nip04).
    protocol::NostrEvent event;
    event.createdAt = QDateTime::currentSecsSinceEpoch();
    event.kind = kRequestKind;
    event.tags = {{QStringLiteral("p"), m_walletPubkeyHex},
                  {QStringLiteral("expiration"), QString::number(pending.expiresAt)}};
    if (m_useNip44) {
        event.tags.append({QStringLiteral("encryption"), QStringLiteral("nip44_v2")});
    }
    event.content = content.value();
    auto signedEvent = event.signedWith(m_secret.view());
    if (!signedEvent) {
        Answer answer;
        answer.kind = Answer::Kind::NotSent;
        answer.message = QStringLiteral("The NWC request could not be signed.");
        complete(key, answer);
        return;
    }
    pending.event = signedEvent->toJson();
    pending.eventId = signedEvent->id;
    pending.subscriptionId = QStringLiteral("nwc-%1").arg(++m_nextSubscription);
    pending.state = Pending::State::Subscribing;
    // Responses are ephemeral (relays keep no copy), so the subscription must exist before
    // the request is published; the request goes out on this subscription's EOSE.
    const QJsonObject filter{
        {QStringLiteral("kinds"), QJsonArray{kResponseKind}},
        {QStringLiteral("authors"), QJsonArray{m_walletPubkeyHex}},
        {QStringLiteral("#e"), QJsonArray{hex(pending.eventId)}},
        {QStringLiteral("#p"), QJsonArray{m_clientPubkeyHex}},
    };
    sendJson(QJsonArray{QStringLiteral("REQ"), pending.subscriptionId, filter});
}

void NwcNode::publish(quint64 key)
{
    const auto it = m_pending.find(key);
    if (it == m_pending.end() || it->second.state != Pending::State::Subscribing) {
        return;
    }
    if (it->second.handle.cancelled()) {
        sendJson(QJsonArray{QStringLiteral("CLOSE"), it->second.subscriptionId});
        m_pending.erase(it);
        return;
    }
    // From here on the wallet may act on the request: an unknown end is in flight.
    it->second.state = Pending::State::Sent;
    sendJson(QJsonArray{QStringLiteral("EVENT"), it->second.event});
}

void NwcNode::onResponseEvent(quint64 key, const QJsonObject& json)
{
    const auto it = m_pending.find(key);
    if (it == m_pending.end() || it->second.state != Pending::State::Sent) {
        return;
    }
    const Pending& pending = it->second;
    auto event = protocol::NostrEvent::fromJson(json);
    // Anything not signed by the wallet for this very request is ignored, as if a relay had
    // never sent it: a relay must not be able to forge an answer.
    if (!event || !event->verify() || event->pubkey != m_config.walletPubkey ||
        event->kind != kResponseKind ||
        tagValue(event->tags, QStringLiteral("e")) != hex(pending.eventId)) {
        return;
    }
    const QString recipient = tagValue(event->tags, QStringLiteral("p"));
    if (!recipient.isNull() && recipient != m_clientPubkeyHex) {
        return;
    }
    // The response uses the request's scheme; a NIP-04 payload is "<b64>?iv=<b64>", which a
    // NIP-44 payload (plain base64) can never contain.
    const bool nip44 = !event->content.contains(QLatin1String("?iv="));
    auto plaintext = decryptContent(event->content, nip44);
    if (!plaintext) {
        return;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(plaintext.value(), &parseError);
    crypto::scrub(plaintext.value()); // may hold a preimage
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        return;
    }
    const QJsonObject body = document.object();
    const QString resultType = body.value(QStringLiteral("result_type")).toString();
    if (!resultType.isEmpty() && resultType != pending.method) {
        return;
    }
    Answer answer;
    const QJsonValue error = body.value(QStringLiteral("error"));
    if (error.isObject()) {
        answer.kind = Answer::Kind::Error;
        answer.errorCode = error.toObject().value(QStringLiteral("code")).toString();
        answer.message = error.toObject().value(QStringLiteral("message")).toString();
        if (answer.errorCode.isEmpty()) {
            answer.errorCode = QStringLiteral("OTHER");
        }
    } else if (body.value(QStringLiteral("result")).isObject()) {
        answer.kind = Answer::Kind::Result;
        answer.result = body.value(QStringLiteral("result")).toObject();
    } else {
        answer.kind = Answer::Kind::Error;
        answer.errorCode = QStringLiteral("INVALID_RESPONSE");
        answer.message = QStringLiteral("a response with neither result nor error");
    }
    complete(key, answer);
}

void NwcNode::complete(quint64 key, Answer answer)
{
    const auto it = m_pending.find(key);
    if (it == m_pending.end()) {
        return;
    }
    const Pending::State state = it->second.state;
    const QString subscriptionId = it->second.subscriptionId;
    const CallHandle handle = it->second.handle;
    const AnswerCallback done = std::move(it->second.done);
    m_pending.erase(it);
    if (state != Pending::State::Queued && m_socket && m_link == Link::Ready) {
        sendJson(QJsonArray{QStringLiteral("CLOSE"), subscriptionId});
    }
    if (!handle.cancelled() && done) {
        done(answer); // may destroy this node: touch nothing afterwards
    }
}

void NwcNode::onDeadline(quint64 key)
{
    const auto it = m_pending.find(key);
    if (it == m_pending.end()) {
        return;
    }
    Answer answer;
    if (it->second.state == Pending::State::Sent) {
        answer.kind = Answer::Kind::Lost;
        answer.message = QStringLiteral("The NWC wallet did not answer in time.");
    } else {
        answer.kind = Answer::Kind::NotSent;
        answer.message = QStringLiteral("Could not reach the NWC relay in time.");
    }
    complete(key, answer);
}

void NwcNode::failQueued(const QString& message)
{
    QList<quint64> keys;
    for (const auto& [key, pending] : m_pending) {
        if (pending.state != Pending::State::Sent) {
            keys.append(key);
        }
    }
    QPointer<NwcNode> self(this);
    for (const quint64 key : keys) {
        if (!self) {
            return;
        }
        Answer answer;
        answer.kind = Answer::Kind::NotSent;
        answer.message = message;
        complete(key, answer);
    }
}

quint64 NwcNode::keyForSubscription(const QString& subscriptionId) const
{
    for (const auto& [key, pending] : m_pending) {
        if (pending.state != Pending::State::Queued && pending.subscriptionId == subscriptionId) {
            return key;
        }
    }
    return 0;
}

quint64 NwcNode::keyForEvent(const QByteArray& eventId) const
{
    for (const auto& [key, pending] : m_pending) {
        if (pending.state == Pending::State::Sent && pending.eventId == eventId) {
            return key;
        }
    }
    return 0;
}

Result<QString> NwcNode::encryptContent(const QByteArray& plaintext) const
{
    if (m_useNip44) {
        return crypto::nip44::encrypt(plaintext, m_conversationKey.view());
    }
    return crypto::nip04::encrypt(plaintext, m_secret.view(), m_config.walletPubkey);
}

Result<QByteArray> NwcNode::decryptContent(const QString& payload, bool nip44) const
{
    if (nip44) {
        return crypto::nip44::decrypt(payload, m_conversationKey.view());
    }
    return crypto::nip04::decrypt(payload, m_secret.view(), m_config.walletPubkey);
}

// ---- connection --------------------------------------------------------------------------

void NwcNode::ensureConnected()
{
    if (m_link != Link::Idle || m_reconnectTimer.isActive()) {
        return; // connecting, or a reconnection is scheduled: queued calls wait for it
    }
    if (!m_recovering) {
        m_freshFailures = 0;
    }
    openSocket();
}

void NwcNode::openSocket()
{
    if (m_socket || m_config.relays.isEmpty()) {
        if (m_config.relays.isEmpty()) {
            failQueued(QStringLiteral("The NWC connection names no relay."));
        }
        return;
    }
    m_socket = std::make_unique<QWebSocket>();
    QWebSocket* socket = m_socket.get();
    connect(socket, &QWebSocket::connected, this, [this, socket] { onConnected(socket); });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] { onSocketGone(socket); });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
            [this, socket](QAbstractSocket::SocketError) {
                if (socket->state() != QAbstractSocket::ConnectedState) {
                    onSocketGone(socket);
                }
            });
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, socket](const QString& text) { onText(socket, text); });
    m_link = Link::Connecting;
    ++m_connectAttempts;
    m_connectTimer.start(m_config.connectTimeout);
    const int index = m_relayIndex % static_cast<int>(m_config.relays.size());
    socket->open(m_config.relays.at(index));
}

void NwcNode::onConnected(QWebSocket* socket)
{
    if (socket != m_socket.get() || m_link != Link::Connecting) {
        return;
    }
    m_connectTimer.stop();
    m_link = Link::FetchingInfo;
    m_newestInfo = {};
    m_infoSubscription = QStringLiteral("nwc-info-%1").arg(++m_nextSubscription);
    // 47.md "Info Event": a replaceable event the wallet keeps on its relays.
    const QJsonObject filter{{QStringLiteral("kinds"), QJsonArray{kInfoKind}},
                             {QStringLiteral("authors"), QJsonArray{m_walletPubkeyHex}},
                             {QStringLiteral("limit"), 1}};
    sendJson(QJsonArray{QStringLiteral("REQ"), m_infoSubscription, filter});
    m_infoTimer.start(std::min(m_config.connectTimeout, std::chrono::milliseconds(5'000)));
}

void NwcNode::onInfoEvent(const QJsonObject& json)
{
    auto event = protocol::NostrEvent::fromJson(json);
    if (!event || !event->verify() || event->pubkey != m_config.walletPubkey ||
        event->kind != kInfoKind) {
        return;
    }
    if (m_newestInfo.isEmpty() ||
        json.value(QStringLiteral("created_at")).toInteger() >=
            m_newestInfo.value(QStringLiteral("created_at")).toInteger()) {
        m_newestInfo = json;
    }
}

void NwcNode::finishInfo()
{
    m_infoTimer.stop();
    sendJson(QJsonArray{QStringLiteral("CLOSE"), m_infoSubscription});
    // 47.md "Encryption": the info event's `encryption` tag lists the schemes the wallet
    // accepts, space-separated ("nip44_v2 nip04"); without the tag only nip04 is supported.
    // Prefer NIP-44 v2 (authenticated) whenever it is offered.
    bool nip44 = false;
    const QJsonArray tags = m_newestInfo.value(QStringLiteral("tags")).toArray();
    for (const QJsonValue& tag : tags) {
        const QJsonArray items = tag.toArray();
        if (items.size() >= 2 && items.at(0).toString() == QLatin1String("encryption")) {
            static const QRegularExpression separators(QStringLiteral("[\\s,]+"));
            const QStringList schemes =
                items.at(1).toString().split(separators, Qt::SkipEmptyParts);
            nip44 = schemes.contains(QStringLiteral("nip44_v2"));
        }
    }
    m_useNip44 = nip44 && !m_conversationKey.isEmpty();
    m_link = Link::Ready;
    m_recovering = false;
    m_backoffAttempt = 0;
    m_freshFailures = 0;
    flushQueue();
}

void NwcNode::flushQueue()
{
    QList<quint64> keys;
    for (const auto& [key, pending] : m_pending) {
        if (pending.state == Pending::State::Queued) {
            keys.append(key);
        }
    }
    QPointer<NwcNode> self(this);
    for (const quint64 key : keys) {
        if (!self || m_link != Link::Ready) {
            return;
        }
        subscribe(key);
    }
}

void NwcNode::onSocketGone(QWebSocket* socket)
{
    if (!socket || socket != m_socket.get()) {
        return;
    }
    QWebSocket* gone = m_socket.release();
    QObject::disconnect(gone, nullptr, this, nullptr);
    gone->abort();
    gone->deleteLater();
    m_connectTimer.stop();
    m_infoTimer.stop();
    const bool wasUp = m_link == Link::FetchingInfo || m_link == Link::Ready;
    m_link = Link::Idle;
    QPointer<NwcNode> self(this);
    if (wasUp) {
        // A drop. Requests already published may be anywhere at the wallet: in flight.
        // Requests only subscribed were never published: they wait for the next connection.
        QList<quint64> lost;
        for (auto& [key, pending] : m_pending) {
            if (pending.state == Pending::State::Sent) {
                lost.append(key);
            } else if (pending.state == Pending::State::Subscribing) {
                pending.state = Pending::State::Queued;
                pending.subscriptionId.clear();
                pending.event = {};
                pending.eventId.clear();
            }
        }
        m_recovering = true;
        m_backoffAttempt = 0;
        scheduleReconnect();
        for (const quint64 key : lost) {
            if (!self) {
                return;
            }
            Answer answer;
            answer.kind = Answer::Kind::Lost;
            answer.message = QStringLiteral(
                "The connection to the NWC relay dropped before the wallet answered.");
            complete(key, answer);
        }
        return;
    }
    // The connection could not be opened.
    m_relayIndex =
        (m_relayIndex + 1) % static_cast<int>(std::max<qsizetype>(1, m_config.relays.size()));
    if (m_recovering) {
        if (m_backoffAttempt < m_config.maxReconnectAttempts) {
            scheduleReconnect();
            return;
        }
        m_recovering = false;
        failQueued(QStringLiteral("The NWC relay is unreachable (gave up reconnecting)."));
        return;
    }
    if (++m_freshFailures < m_config.relays.size()) {
        openSocket(); // the next relay of the URI
        return;
    }
    failQueued(QStringLiteral("The NWC relay is unreachable."));
}

void NwcNode::scheduleReconnect()
{
    const auto exponent = std::min(m_backoffAttempt, 20);
    const auto delay =
        std::min(std::chrono::milliseconds(m_config.initialBackoff.count() << exponent),
                 m_config.maxBackoff);
    ++m_backoffAttempt;
    m_reconnectTimer.start(delay);
}

void NwcNode::onText(QWebSocket* socket, const QString& text)
{
    if (socket != m_socket.get()) {
        return;
    }
    const QJsonArray message = QJsonDocument::fromJson(text.toUtf8()).array();
    const QString type = message.at(0).toString();
    if (type == QLatin1String("EVENT") && message.size() >= 3) {
        const QString subscriptionId = message.at(1).toString();
        if (subscriptionId == m_infoSubscription) {
            if (m_link == Link::FetchingInfo) {
                onInfoEvent(message.at(2).toObject());
            }
            return;
        }
        if (const quint64 key = keyForSubscription(subscriptionId)) {
            onResponseEvent(key, message.at(2).toObject());
        }
        return;
    }
    if (type == QLatin1String("EOSE") && message.size() >= 2) {
        const QString subscriptionId = message.at(1).toString();
        if (subscriptionId == m_infoSubscription) {
            if (m_link == Link::FetchingInfo) {
                finishInfo();
            }
            return;
        }
        if (const quint64 key = keyForSubscription(subscriptionId)) {
            publish(key);
        }
        return;
    }
    if (type == QLatin1String("OK") && message.size() >= 3) {
        // ["OK", <event id>, <accepted>, <message>] (NIP-01). A refused request never
        // reached the wallet through this relay.
        if (message.at(2).toBool()) {
            return;
        }
        const quint64 key = keyForEvent(QByteArray::fromHex(message.at(1).toString().toLatin1()));
        if (key) {
            Answer answer;
            answer.kind = Answer::Kind::NotSent;
            answer.message = QStringLiteral("The NWC relay refused the request: %1")
                                 .arg(message.at(3).toString());
            complete(key, answer);
        }
        return;
    }
    if (type == QLatin1String("CLOSED") && message.size() >= 2) {
        // ["CLOSED", <subscription id>, <message>]: the relay ended a subscription (e.g.
        // "auth-required:"). Before the request went out it is simply not sent.
        const QString subscriptionId = message.at(1).toString();
        if (subscriptionId == m_infoSubscription) {
            if (m_link == Link::FetchingInfo) {
                finishInfo();
            }
            return;
        }
        if (const quint64 key = keyForSubscription(subscriptionId)) {
            Answer answer;
            answer.kind = m_pending.at(key).state == Pending::State::Sent ? Answer::Kind::Lost
                                                                          : Answer::Kind::NotSent;
            answer.message = QStringLiteral("The NWC relay closed the subscription: %1")
                                 .arg(message.at(2).toString());
            complete(key, answer);
        }
    }
}

void NwcNode::sendJson(const QJsonArray& message)
{
    if (m_socket) {
        m_socket->sendTextMessage(
            QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
    }
}

} // namespace l402::node
