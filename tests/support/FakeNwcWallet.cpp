#include "tests/support/FakeNwcWallet.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Nip04.h"
#include "core/crypto/Nip44.h"
#include "core/crypto/Schnorr.h"
#include "core/protocol/Bolt11.h"
#include "core/protocol/NostrEvent.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUrl>

namespace l402::test {
namespace {

constexpr int kInfoKind = 13194;
constexpr int kRequestKind = 23194;
constexpr int kResponseKind = 23195;

QByteArray freshSecretKey()
{
    for (;;) {
        QByteArray key = crypto::randomBytes(32);
        if (crypto::xOnlyPublicKey(key)) {
            return key;
        }
    }
}

QString hex(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

QString tagValue(const QList<QStringList>& tags, const QString& name)
{
    for (const QStringList& tag : tags) {
        if (tag.size() >= 2 && tag.at(0) == name) {
            return tag.at(1);
        }
    }
    return {};
}

} // namespace

FakeNwcWallet::FakeNwcWallet(QObject* parent)
    : QObject(parent)
    , m_walletSecret(freshSecretKey())
    , m_walletPubkey(crypto::xOnlyPublicKey(m_walletSecret).value())
    , m_clientSecret(freshSecretKey())
{
    m_authorizedClients.insert(crypto::xOnlyPublicKey(m_clientSecret).value());
    m_nodePubkey = QByteArray(1, '\x02') + crypto::sha256("fake nwc node");
    m_relay.setOnEvent([this](const QJsonObject& event) { onEvent(event); });
    connect(&m_relay, &FakeWebSocketRelay::subscriptionOpened, this,
            [this](const QString& id, const QJsonArray& filters) {
                m_openSubscriptions.insert(id, filters);
            });
    connect(&m_relay, &FakeWebSocketRelay::subscriptionClosed, this,
            [this](const QString& id) { m_openSubscriptions.remove(id); });
}

FakeNwcWallet::~FakeNwcWallet()
{
    m_relay.setOnEvent({});
}

bool FakeNwcWallet::start()
{
    if (!m_relay.listen()) {
        return false;
    }
    publishInfo();
    return true;
}

QString FakeNwcWallet::connectionUri() const
{
    // 47.md "Nostr Wallet Connect URI": the wallet pubkey as the host, relay (URL-encoded,
    // repeatable), secret (the client's key), lud16.
    return QStringLiteral("nostr+walletconnect://%1?relay=%2&secret=%3&lud16=%4")
        .arg(hex(m_walletPubkey),
             QString::fromLatin1(QUrl::toPercentEncoding(m_relay.url().toString())),
             hex(m_clientSecret), QStringLiteral("fake%40nwc.example"));
}

void FakeNwcWallet::setEncryption(Encryption encryption)
{
    m_encryption = encryption;
    publishInfo();
}

void FakeNwcWallet::setImplements(const QString& method, bool implemented)
{
    if (implemented) {
        m_unimplemented.remove(method);
    } else {
        m_unimplemented.insert(method);
    }
    publishInfo();
}

QStringList FakeNwcWallet::supportedMethods() const
{
    QStringList methods;
    for (const QString& method : {QStringLiteral("pay_invoice"), QStringLiteral("get_balance"),
                                  QStringLiteral("get_info"), QStringLiteral("lookup_invoice")}) {
        if (!m_unimplemented.contains(method)) {
            methods.append(method);
        }
    }
    return methods;
}

void FakeNwcWallet::registerPreimage(const QByteArray& preimage)
{
    m_preimages.insert(crypto::sha256(preimage), preimage);
}

int FakeNwcWallet::paymentsMade(const QByteArray& paymentHash) const
{
    return m_payments.value(paymentHash).attempts;
}

void FakeNwcWallet::publishInfo()
{
    // 47.md "Info Event": replaceable kind 13194, content = supported methods
    // space-separated, `encryption` tag = supported schemes space-separated.
    protocol::NostrEvent info;
    info.createdAt = now();
    info.kind = kInfoKind;
    info.content = supportedMethods().join(QLatin1Char(' '));
    if (m_encryption == Encryption::Nip44AndNip04) {
        info.tags.append({QStringLiteral("encryption"), QStringLiteral("nip44_v2 nip04")});
    } else if (m_encryption == Encryption::Nip04Only) {
        info.tags.append({QStringLiteral("encryption"), QStringLiteral("nip04")});
    }
    // A newer replacement needs a later created_at (or, at equal times, a lower id).
    for (const QJsonObject& stored : m_relay.storedEvents()) {
        if (stored.value(QStringLiteral("kind")).toInteger() == kInfoKind) {
            info.createdAt = std::max(info.createdAt,
                                      stored.value(QStringLiteral("created_at")).toInteger() + 1);
        }
    }
    m_relay.publish(info.signedWith(m_walletSecret).value().toJson());
}

bool FakeNwcWallet::responseSubscriptionOpen(const QString& requestId,
                                             const QString& clientHex) const
{
    // The response this request will get, as a filter sees it.
    const QJsonObject response{
        {QStringLiteral("id"), QString(64, QLatin1Char('0'))},
        {QStringLiteral("pubkey"), hex(m_walletPubkey)},
        {QStringLiteral("created_at"), now()},
        {QStringLiteral("kind"), kResponseKind},
        {QStringLiteral("tags"), QJsonArray{QJsonArray{QStringLiteral("p"), clientHex},
                                            QJsonArray{QStringLiteral("e"), requestId}}},
        {QStringLiteral("content"), QString()},
        {QStringLiteral("sig"), QString(128, QLatin1Char('0'))},
    };
    const QStringList live = m_relay.subscriptionIds();
    for (auto it = m_openSubscriptions.constBegin(); it != m_openSubscriptions.constEnd(); ++it) {
        if (!live.contains(it.key())) {
            continue;
        }
        for (const QJsonValue& filter : it.value()) {
            const QJsonObject object = filter.toObject();
            // A subscription that would get every response is not the client's own (or an
            // eavesdropper's): it must name this request.
            if (object.contains(QStringLiteral("#e")) &&
                FakeWebSocketRelay::matchesFilter(object, response)) {
                return true;
            }
        }
    }
    return false;
}

void FakeNwcWallet::onEvent(const QJsonObject& json)
{
    if (json.value(QStringLiteral("kind")).toInteger() != kRequestKind) {
        return;
    }
    auto event = protocol::NostrEvent::fromJson(json);
    if (!event || !event->verify()) {
        m_violations.append(QStringLiteral("a request that does not verify"));
        return;
    }
    // 47.md: a request has one `p` tag, the wallet service's key.
    if (tagValue(event->tags, QStringLiteral("p")) != hex(m_walletPubkey)) {
        return; // not for this wallet
    }
    const QString requestId = hex(event->id);
    const QString clientHex = hex(event->pubkey);
    if (!responseSubscriptionOpen(requestId, clientHex)) {
        m_violations.append(
            QStringLiteral("request %1 published before its response subscription").arg(requestId));
    }
    // 47.md: "If the request is received after this timestamp, it should be ignored."
    const QString expiration = tagValue(event->tags, QStringLiteral("expiration"));
    if (expiration.isNull()) {
        m_violations.append(QStringLiteral("request without an expiration tag"));
    } else if (expiration.toLongLong() < now()) {
        return;
    }
    // 47.md "Encryption": ["encryption","nip44_v2"] in the request, absent = nip04.
    const QString scheme = tagValue(event->tags, QStringLiteral("encryption"));
    const bool nip44 = scheme == QLatin1String("nip44_v2");
    if (!scheme.isNull() && !nip44 && scheme != QLatin1String("nip04")) {
        respond(requestId, clientHex, false,
                errorBody(QString(), QStringLiteral("UNSUPPORTED_ENCRYPTION"),
                          QStringLiteral("unknown encryption scheme")));
        return;
    }
    if (nip44 && m_encryption != Encryption::Nip44AndNip04) {
        m_violations.append(
            QStringLiteral("NIP-44 request although the wallet offers only NIP-04"));
        respond(requestId, clientHex, false,
                errorBody(QString(), QStringLiteral("UNSUPPORTED_ENCRYPTION"),
                          QStringLiteral("this wallet only speaks nip04")));
        return;
    }
    if (!nip44 && m_encryption == Encryption::Nip44AndNip04) {
        m_violations.append(QStringLiteral("NIP-04 request although NIP-44 v2 is offered"));
    }
    m_requestEncryptions.append(nip44 ? QStringLiteral("nip44_v2") : QStringLiteral("nip04"));
    Result<QByteArray> plaintext = QByteArray();
    if (nip44) {
        auto key = crypto::nip44::conversationKey(m_walletSecret, event->pubkey);
        plaintext = key ? crypto::nip44::decrypt(event->content, key->view())
                        : Result<QByteArray>(key.error());
    } else {
        plaintext = crypto::nip04::decrypt(event->content, m_walletSecret, event->pubkey);
    }
    if (!plaintext) {
        m_violations.append(QStringLiteral("a request that does not decrypt"));
        return;
    }
    const QJsonObject body = QJsonDocument::fromJson(plaintext.value()).object();
    m_requests.append(body);
    const QString method = body.value(QStringLiteral("method")).toString();
    if (!m_answering) {
        return;
    }
    if (!m_authorizedClients.contains(event->pubkey)) {
        // 47.md: UNAUTHORIZED "This public key has no wallet connected."
        respond(requestId, clientHex, nip44,
                errorBody(method, QStringLiteral("UNAUTHORIZED"),
                          QStringLiteral("no wallet is connected to this key")));
        return;
    }
    bool answer = true;
    const QJsonObject response = handle(method, body.value(QStringLiteral("params")).toObject(),
                                        requestId, clientHex, nip44, &answer);
    if (answer) {
        respond(requestId, clientHex, nip44, response);
    }
}

QJsonObject FakeNwcWallet::handle(const QString& method, const QJsonObject& params,
                                  const QString& replyTo, const QString& clientHex, bool nip44,
                                  bool* answer)
{
    const auto ok = [&method](const QJsonObject& result) {
        return QJsonObject{{QStringLiteral("result_type"), method},
                           {QStringLiteral("error"), QJsonValue::Null},
                           {QStringLiteral("result"), result}};
    };
    if (m_unimplemented.contains(method)) {
        return errorBody(method, QStringLiteral("NOT_IMPLEMENTED"),
                         QStringLiteral("%1 is not supported by this wallet").arg(method));
    }
    if (method == QLatin1String("get_info")) {
        // 47.md "get_info".
        return ok(QJsonObject{
            {QStringLiteral("alias"), alias()},
            {QStringLiteral("color"), QStringLiteral("#3399ff")},
            {QStringLiteral("pubkey"), hex(m_nodePubkey)},
            {QStringLiteral("network"), QStringLiteral("regtest")},
            {QStringLiteral("block_height"), 1234},
            {QStringLiteral("block_hash"), QString(64, QLatin1Char('0'))},
            {QStringLiteral("methods"), QJsonArray::fromStringList(supportedMethods())},
        });
    }
    if (method == QLatin1String("get_balance")) {
        return ok(QJsonObject{{QStringLiteral("balance"), m_balanceMsat}}); // msat
    }
    if (method == QLatin1String("lookup_invoice")) {
        return lookupInvoice(params);
    }
    if (method == QLatin1String("pay_invoice")) {
        return payInvoice(params, replyTo, clientHex, nip44, answer);
    }
    return errorBody(method, QStringLiteral("NOT_IMPLEMENTED"),
                     QStringLiteral("unknown method %1").arg(method));
}

QJsonObject FakeNwcWallet::payInvoice(const QJsonObject& params, const QString& replyTo,
                                      const QString& clientHex, bool nip44, bool* answer)
{
    Q_UNUSED(replyTo);
    Q_UNUSED(clientHex);
    Q_UNUSED(nip44);
    const QString method = QStringLiteral("pay_invoice");
    const QString text = params.value(QStringLiteral("invoice")).toString();
    auto invoice = protocol::decodeInvoice(text);
    if (!invoice) {
        return errorBody(method, QStringLiteral("OTHER"), QStringLiteral("invalid invoice"));
    }
    const QByteArray hash = invoice->paymentHash;
    const qint64 amount = static_cast<qint64>(invoice->amountMsat.value_or(0));
    const auto existing = m_payments.constFind(hash);
    if (existing != m_payments.constEnd()) {
        if (existing->state == Payment::State::Settled) {
            return errorBody(method, QStringLiteral("PAYMENT_FAILED"),
                             QStringLiteral("invoice is already paid"));
        }
        if (existing->state == Payment::State::Pending) {
            return errorBody(method, QStringLiteral("PAYMENT_FAILED"),
                             QStringLiteral("payment is already in flight"));
        }
    }
    using B = PayBehaviour;
    switch (m_behaviour) {
    case B::InternalError:
        return errorBody(method, QStringLiteral("INTERNAL"), QStringLiteral("database is locked"));
    case B::Unauthorized:
        return errorBody(method, QStringLiteral("UNAUTHORIZED"),
                         QStringLiteral("no wallet is connected to this key"));
    case B::InsufficientBalance:
        return errorBody(method, QStringLiteral("INSUFFICIENT_BALANCE"),
                         QStringLiteral("not enough funds"));
    case B::QuotaExceeded:
        return errorBody(method, QStringLiteral("QUOTA_EXCEEDED"),
                         QStringLiteral("the budget of this connection is spent"));
    case B::Restricted:
        return errorBody(method, QStringLiteral("RESTRICTED"),
                         QStringLiteral("pay_invoice is not allowed for this key"));
    case B::RateLimited:
        return errorBody(method, QStringLiteral("RATE_LIMITED"), QStringLiteral("slow down"));
    case B::UnclearFailure: {
        // The service gave up waiting for its node (a timeout is PAYMENT_FAILED in 47.md)
        // while the payment went on, or had already gone through.
        Payment& held = m_payments[hash];
        held.invoice = text;
        held.amountMsat = amount;
        held.createdAt = now();
        held.state = m_unclearRecord;
        ++held.attempts;
        if (m_unclearRecord == Payment::State::Settled) {
            held.preimage = m_preimages.value(hash);
            held.feeMsat = m_feeMsat;
            held.settledAt = now();
            m_balanceMsat -= amount + m_feeMsat;
        }
        return errorBody(method, QStringLiteral("PAYMENT_FAILED"),
                         QStringLiteral("payment timed out"));
    }
    default:
        break;
    }
    if (m_behaviour == B::Succeed && amount + m_feeMsat > m_balanceMsat) {
        return errorBody(method, QStringLiteral("INSUFFICIENT_BALANCE"),
                         QStringLiteral("not enough funds"));
    }
    Payment& payment = m_payments[hash];
    payment.state = Payment::State::Pending;
    payment.invoice = text;
    payment.amountMsat = amount;
    payment.createdAt = now();
    payment.preimage.clear();
    ++payment.attempts;
    const QJsonObject ok{{QStringLiteral("result_type"), method},
                         {QStringLiteral("error"), QJsonValue::Null}};
    switch (m_behaviour) {
    case B::Succeed: {
        if (!m_preimages.contains(hash)) {
            payment.state = Payment::State::Failed;
            return errorBody(method, QStringLiteral("PAYMENT_FAILED"),
                             QStringLiteral("no route found"));
        }
        payment.state = Payment::State::Settled;
        payment.preimage = m_preimages.value(hash);
        payment.feeMsat = m_feeMsat;
        payment.settledAt = now();
        m_balanceMsat -= amount + m_feeMsat;
        QJsonObject out = ok;
        // 47.md "pay_invoice" result: preimage (hex), fees_paid (msat, optional).
        out.insert(QStringLiteral("result"),
                   QJsonObject{{QStringLiteral("preimage"), hex(payment.preimage)},
                               {QStringLiteral("fees_paid"), m_feeMsat}});
        return out;
    }
    case B::Fail:
        payment.state = Payment::State::Failed;
        return errorBody(method, QStringLiteral("PAYMENT_FAILED"),
                         QStringLiteral("no route found"));
    case B::DropThenSucceed:
    case B::DropThenFail: {
        *answer = false;
        const bool succeed = m_behaviour == B::DropThenSucceed;
        // Not from inside the relay's message handler: a moment later, like a network drop.
        QTimer::singleShot(0, this, [this] { m_relay.dropAllConnections(); });
        QTimer::singleShot(m_settleDelay, this, [this, hash, succeed] { settle(hash, succeed); });
        return {};
    }
    case B::Hang:
        *answer = false;
        return {};
    case B::WrongPreimage: {
        QJsonObject out = ok;
        out.insert(QStringLiteral("result"),
                   QJsonObject{{QStringLiteral("preimage"), hex(crypto::randomBytes(32))},
                               {QStringLiteral("fees_paid"), m_feeMsat}});
        return out;
    }
    default:
        return errorBody(method, QStringLiteral("INTERNAL"), QStringLiteral("unexpected"));
    }
}

void FakeNwcWallet::settle(const QByteArray& hash, bool succeed)
{
    auto it = m_payments.find(hash);
    if (it == m_payments.end() || it->state != Payment::State::Pending) {
        return;
    }
    if (succeed && m_preimages.contains(hash)) {
        it->state = Payment::State::Settled;
        it->preimage = m_preimages.value(hash);
        it->feeMsat = m_feeMsat;
        it->settledAt = now();
        m_balanceMsat -= it->amountMsat + m_feeMsat;
    } else {
        it->state = Payment::State::Failed;
    }
}

QJsonObject FakeNwcWallet::lookupInvoice(const QJsonObject& params) const
{
    const QString method = QStringLiteral("lookup_invoice");
    QByteArray hash =
        QByteArray::fromHex(params.value(QStringLiteral("payment_hash")).toString().toLatin1());
    if (hash.isEmpty() && params.contains(QStringLiteral("invoice"))) {
        auto invoice = protocol::decodeInvoice(params.value(QStringLiteral("invoice")).toString());
        if (invoice) {
            hash = invoice->paymentHash;
        }
    }
    if (m_lookupBroken) {
        return errorBody(method, QStringLiteral("INTERNAL"), QStringLiteral("database is locked"));
    }
    const auto it = m_payments.constFind(hash);
    if (hash.size() != 32 || it == m_payments.constEnd()) {
        // 47.md "lookup_invoice" errors: NOT_FOUND.
        return errorBody(method, QStringLiteral("NOT_FOUND"), QStringLiteral("invoice not found"));
    }
    QJsonObject result{
        {QStringLiteral("type"), QStringLiteral("outgoing")},
        {QStringLiteral("invoice"), it->invoice},
        {QStringLiteral("payment_hash"), hex(hash)},
        {QStringLiteral("amount"), it->amountMsat},
        {QStringLiteral("fees_paid"), it->feeMsat},
        {QStringLiteral("created_at"), it->createdAt},
    };
    if (it->state == Payment::State::Settled) {
        result.insert(QStringLiteral("preimage"), hex(it->preimage));
        result.insert(QStringLiteral("settled_at"), it->settledAt);
    }
    if (!m_lookupHasState) {
        // Before `state` was added to 47.md: pending and failed look alike.
        return QJsonObject{{QStringLiteral("result_type"), method},
                           {QStringLiteral("error"), QJsonValue::Null},
                           {QStringLiteral("result"), result}};
    }
    switch (it->state) {
    case Payment::State::Settled:
        result.insert(QStringLiteral("state"), QStringLiteral("settled"));
        break;
    case Payment::State::Failed:
        result.insert(QStringLiteral("state"), QStringLiteral("failed"));
        break;
    case Payment::State::Pending:
        result.insert(QStringLiteral("state"), QStringLiteral("pending"));
        break;
    }
    return QJsonObject{{QStringLiteral("result_type"), method},
                       {QStringLiteral("error"), QJsonValue::Null},
                       {QStringLiteral("result"), result}};
}

QJsonObject FakeNwcWallet::errorBody(const QString& method, const QString& code,
                                     const QString& message)
{
    // 47.md: result null, error {code, message}. (Some wallets omit result_type on errors.)
    QJsonObject body{{QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), code},
                                                           {QStringLiteral("message"), message}}},
                     {QStringLiteral("result"), QJsonValue::Null}};
    if (!method.isEmpty()) {
        body.insert(QStringLiteral("result_type"), method);
    }
    return body;
}

void FakeNwcWallet::respond(const QString& requestId, const QString& clientHex, bool nip44,
                            const QJsonObject& body)
{
    const QByteArray client = QByteArray::fromHex(clientHex.toLatin1());
    const QByteArray plaintext = QJsonDocument(body).toJson(QJsonDocument::Compact);
    Result<QString> content = QString();
    if (nip44) {
        auto key = crypto::nip44::conversationKey(m_walletSecret, client);
        content =
            key ? crypto::nip44::encrypt(plaintext, key->view()) : Result<QString>(key.error());
    } else {
        content = crypto::nip04::encrypt(plaintext, m_walletSecret, client);
    }
    if (!content) {
        m_violations.append(QStringLiteral("cannot encrypt a response to %1").arg(clientHex));
        return;
    }
    // 47.md: the response has one `p` tag (the client) and an `e` tag (the request).
    protocol::NostrEvent event;
    event.createdAt = now();
    event.kind = kResponseKind;
    event.tags = {{QStringLiteral("p"), clientHex}, {QStringLiteral("e"), requestId}};
    event.content = content.value();
    const QJsonObject json = event.signedWith(m_walletSecret).value().toJson();
    // A real wallet answers after a round trip, never inside the relay's handler.
    QTimer::singleShot(0, this, [this, json] { m_relay.publish(json); });
}

} // namespace l402::test
