#pragma once

#include "core/crypto/SecureBytes.h"
#include "core/node/LightningNode.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

class QWebSocket;

namespace l402::node {

// Nostr Wallet Connect (NIP-47, nostr-protocol/nips 47.md) over QtWebSockets (libcurl here has
// no WebSocket). Quirks handled, each covered by NodeConformanceTest against
// tests/support/FakeNwcWallet on a real NIP-01 relay (tests/support/FakeWebSocketRelay):
// - the URI is nostr+walletconnect://<wallet pubkey hex>?relay=<url>[&relay=..]&secret=<hex>
//   [&lud16=..]; the secret is the client's own Nostr key, the only credential;
// - after connecting, the wallet's replaceable info event (kind 13194, filter kinds+authors)
//   is read: its `encryption` tag lists "nip44_v2 nip04"; NIP-44 v2 is chosen when offered,
//   else NIP-04 (a missing tag means NIP-04 only, 47.md "Encryption"). Requests using NIP-44
//   carry ["encryption","nip44_v2"]; the response comes back in the request's scheme;
// - requests (23194) and responses (23195) are ephemeral: relays do not store them, so the
//   response subscription (kinds 23195, authors [wallet], #e [request id], #p [us]) is opened,
//   and its EOSE awaited, before the request is published; requests carry an `expiration`
//   tag (NIP-40) so a wallet that gets them late ignores them (47.md "Request and Response");
// - every response is checked: BIP340 signature and id, author = wallet, `e` = our request,
//   `p` = us; anything else is ignored as if never received;
// - pay_invoice has no fee limit parameter: fees_paid (msat, optional) is only reported;
// - error codes (47.md "Error codes"): INSUFFICIENT_BALANCE, QUOTA_EXCEEDED, RESTRICTED,
//   UNAUTHORIZED, RATE_LIMITED, NOT_IMPLEMENTED, UNSUPPORTED_ENCRYPTION refuse a payment
//   before it starts (Failed); PAYMENT_FAILED is Failed unless lookup_invoice shows the hash
//   already settled or pending (a second pay of a paid hash), INTERNAL, OTHER, unknown codes,
//   a timeout or a dropped connection after the request left are InFlight;
// - lookup_invoice {payment_hash}: settled_at / state "settled" with a preimage is
//   Succeeded, state "failed"/"expired" Failed, anything else InFlight; NOT_FOUND is
//   node_error::kNotFound;
// - a "success" whose preimage does not hash to the payment hash is InFlight;
// - a dropped relay connection is reopened with exponential backoff, a bounded number of
//   times; a call waiting for a connection that never comes fails as kUnreachable.
// Secrets (the client key, the conversation key, preimages) are never logged.
class NwcNode final : public QObject, public LightningNode {
    Q_OBJECT
public:
    struct Config {
        QByteArray walletPubkey; // 32-byte x-only key of the wallet service
        QList<QUrl> relays;      // ws:// or wss://; tried in order
        QByteArray secret;       // 32-byte client secret key from the URI
        QString lud16;           // informational
        // The chain when the wallet service has no get_info (it is optional in NIP-47):
        // `node set nwc --network`, else mainnet, where NWC wallets are.
        protocol::Network networkWithoutInfo = protocol::Network::Bitcoin;
        // Slack on top of a payment's timeout for the wallet to answer.
        std::chrono::milliseconds responseSlack{15'000};
        // Deadline of get_info, get_balance and lookup_invoice.
        std::chrono::milliseconds requestTimeout{30'000};
        std::chrono::milliseconds connectTimeout{10'000};
        // Reconnection after a drop: initialBackoff, doubled per failed attempt, capped at
        // maxBackoff, at most maxReconnectAttempts attempts in a row.
        std::chrono::milliseconds initialBackoff{250};
        std::chrono::milliseconds maxBackoff{8'000};
        int maxReconnectAttempts = 6;
    };

    explicit NwcNode(Config config, QObject* parent = nullptr);
    ~NwcNode() override;

    QString backendName() const override { return QStringLiteral("nwc"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override;
    CallHandle balance(std::function<void(Result<Balance>)> done) override;
    CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) override;
    CallHandle lookup(const QByteArray& paymentHash,
                      std::function<void(Result<PaymentResult>)> done) override;

    // nostr+walletconnect://<64 hex>?relay=<url>&secret=<64 hex>[&lud16=...]
    static Result<Config> parseUri(const QString& uri);
    // The URI without its secret, safe to show and store as a non-secret setting.
    static QString uriWithoutSecret(const Config& config);
    // The stored form back: uriWithoutSecret() plus the secret kept apart (32 raw bytes).
    static Result<Config> fromStoredSettings(const QString& uriWithoutSecret,
                                             QByteArrayView secret);

    // For tests and diagnostics: socket opens attempted so far, and whether NIP-44 v2 was
    // negotiated on the current connection.
    int connectAttempts() const { return m_connectAttempts; }
    bool usesNip44() const { return m_useNip44; }
    bool isConnected() const { return m_link == Link::Ready; }

private:
    static Result<Config> parse(const QString& uri, bool requireSecret);

    enum class Link { Idle, Connecting, FetchingInfo, Ready };

    // How one request ended as far as the transport can tell.
    struct Answer {
        enum class Kind {
            Result,  // a verified response with a result
            Error,   // a verified response with an error object
            NotSent, // the request never left: no connection, or the relay refused it
            Lost,    // sent, then no answer (timeout, dropped connection)
        };
        Kind kind = Kind::NotSent;
        QJsonObject result;
        QString errorCode; // NIP-47 code, e.g. "PAYMENT_FAILED"
        QString message;
    };
    using AnswerCallback = std::function<void(const Answer&)>;

    struct Pending {
        enum class State { Queued, Subscribing, Sent };
        State state = State::Queued;
        QString method;
        QJsonObject params;
        std::chrono::milliseconds timeout{0};
        CallHandle handle;
        AnswerCallback done;
        QString subscriptionId;
        QJsonObject event; // the signed request, once built
        QByteArray eventId;
        qint64 expiresAt = 0; // unix seconds, the request's NIP-40 expiration
    };

    void request(const QString& method, const QJsonObject& params,
                 std::chrono::milliseconds timeout, const CallHandle& handle, AnswerCallback done);
    void ensureConnected();
    void openSocket();
    void onConnected(QWebSocket* socket);
    void onSocketGone(QWebSocket* socket);
    void onText(QWebSocket* socket, const QString& text);
    void onInfoEvent(const QJsonObject& event);
    void finishInfo();
    void flushQueue();
    void subscribe(quint64 key);
    void publish(quint64 key);
    void onResponseEvent(quint64 key, const QJsonObject& event);
    void complete(quint64 key, Answer answer);
    void onDeadline(quint64 key);
    void failQueued(const QString& message);
    void scheduleReconnect();
    void sendJson(const QJsonArray& message);
    quint64 keyForSubscription(const QString& subscriptionId) const;
    quint64 keyForEvent(const QByteArray& eventId) const;
    Result<QString> encryptContent(const QByteArray& plaintext) const;
    Result<QByteArray> decryptContent(const QString& payload, bool nip44) const;
    void lookupAfterPaymentFailed(const QByteArray& paymentHash, const Answer& failure,
                                  const CallHandle& outer,
                                  std::function<void(PaymentResult)> finish);

    Config m_config;
    crypto::SecureBytes m_secret;
    crypto::SecureBytes m_conversationKey; // NIP-44 v2, per wallet
    QByteArray m_clientPubkey;             // 32-byte x-only
    QString m_clientPubkeyHex;
    QString m_walletPubkeyHex;
    Status m_keyStatus = success();

    std::unique_ptr<QWebSocket> m_socket;
    Link m_link = Link::Idle;
    int m_relayIndex = 0;
    int m_freshFailures = 0; // relays that failed in this fresh (not after a drop) round
    bool m_recovering = false;
    int m_backoffAttempt = 0;
    int m_connectAttempts = 0;
    bool m_useNip44 = false;
    QString m_infoSubscription;
    QJsonObject m_newestInfo;
    QTimer m_connectTimer;
    QTimer m_infoTimer;
    QTimer m_reconnectTimer;

    quint64 m_nextKey = 0;
    quint64 m_nextSubscription = 0;
    std::map<quint64, Pending> m_pending;
};

} // namespace l402::node
