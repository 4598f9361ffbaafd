#pragma once

#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <memory>

class QWebSocket;
class QWebSocketServer;

namespace l402::test {

// A minimal Nostr relay (NIP-01) on loopback for NWC tests, on the caller's event loop.
// Clients send ["EVENT", event], ["REQ", id, filter...] and ["CLOSE", id]; the relay answers
// ["OK", id, accepted, message], replays stored matches then ["EOSE", id], and forwards new
// matching events live as ["EVENT", id, event]. Like real relays it does not store ephemeral
// events (kinds 20000-29999, which include NWC's 23194 request and 23195 response): a client
// that subscribes after the answer was published never sees it. Replaceable kinds (0, 3,
// 10000-19999) and addressable ones (30000-39999, by "d" tag) keep only the newest event.
// Event ids are checked against the NIP-01 serialisation; signatures are not verified (a test
// that needs it can install an event policy).
class FakeWebSocketRelay : public QObject {
    Q_OBJECT
public:
    // Called for every event a client published that the relay accepted, after the OK and
    // the live forwarding: a fake wallet service reacts here (e.g. publish() a 23195 answer).
    using EventHook = std::function<void(const QJsonObject& event)>;
    // Returns an empty string to accept, or the OK message to reject with, e.g.
    // "blocked: not on the allow-list".
    using EventPolicy = std::function<QString(const QJsonObject& event)>;

    explicit FakeWebSocketRelay(QObject* parent = nullptr);
    ~FakeWebSocketRelay() override;

    // Port 0 picks a free one.
    [[nodiscard]] bool listen(const QHostAddress& address = QHostAddress(QHostAddress::LocalHost),
                              quint16 port = 0);
    // wss:// with `configuration` (e.g. serverTlsConfiguration() from TestCertificates.h).
    [[nodiscard]] bool
    listenTls(const QSslConfiguration& configuration,
              const QHostAddress& address = QHostAddress(QHostAddress::LocalHost),
              quint16 port = 0);
    // Stops listening and drops every connection.
    void close();
    bool isListening() const;
    quint16 port() const { return m_port; }
    QUrl url() const; // ws(s)://127.0.0.1:<port>

    // Stores (unless ephemeral) and forwards `event` to matching subscriptions as if another
    // client had published it. No checks: the test is trusted.
    void publish(const QJsonObject& event);

    void setOnEvent(EventHook hook) { m_onEvent = std::move(hook); }
    void setEventPolicy(EventPolicy policy) { m_policy = std::move(policy); }
    // false: events are accepted and forwarded but never acknowledged (client OK timeouts).
    void setAcknowledgeEvents(bool acknowledge) { m_acknowledge = acknowledge; }
    void setVerifyEventIds(bool verify) { m_verifyIds = verify; }

    QList<QJsonObject> storedEvents() const { return m_stored; }
    // Every event clients sent, accepted or not, in order.
    QList<QJsonObject> receivedEvents() const { return m_receivedEvents; }
    // Every message clients sent that parsed as a JSON array, in order.
    QList<QJsonArray> receivedMessages() const { return m_receivedMessages; }
    void clearHistory();

    int connectionCount() const { return static_cast<int>(m_clients.size()); }
    int connectionsAccepted() const { return m_connectionsAccepted; }
    // Open subscription ids over all connections.
    QStringList subscriptionIds() const;

    // Aborts every client connection at once (no close frame): a network drop.
    void dropAllConnections();
    // Sends a close frame to every client: a relay shutting down politely.
    void closeAllConnections();
    // true: stop listening, so new connections are refused (the relay is down); false:
    // listen again on the same port.
    [[nodiscard]] bool setRefuseConnections(bool refuse);

    // How strings are escaped in the serialisation the id hashes. NIP-01 lists \n \" \\ \r \t
    // \b \f and wants every other character verbatim; JSON.stringify (nostr-tools, most
    // clients) also writes the other C0 controls as \u00xx. Incoming ids may use either.
    enum class IdEscaping { Nip01, JsonStringify };
    // The NIP-01 id: lowercase hex sha256 of [0,pubkey,created_at,kind,tags,content].
    static QString computeEventId(const QJsonObject& event,
                                  IdEscaping escaping = IdEscaping::Nip01);
    // NIP-01 filter semantics: ids, authors, kinds, #<letter> tags, since, until (limit is the
    // caller's business).
    static bool matchesFilter(const QJsonObject& filter, const QJsonObject& event);

Q_SIGNALS:
    void eventReceived(const QJsonObject& event);
    void subscriptionOpened(const QString& subscriptionId, const QJsonArray& filters);
    void subscriptionClosed(const QString& subscriptionId);

private:
    struct Client {
        QWebSocket* socket = nullptr;
        QHash<QString, QJsonArray> subscriptions;
    };

    [[nodiscard]] bool startListening(const QHostAddress& address, quint16 port);
    void acceptPending();
    void onTextMessage(QWebSocket* socket, const QString& text);
    void onEventMessage(QWebSocket* socket, const QJsonArray& message);
    void onRequestMessage(QWebSocket* socket, const QJsonArray& message);
    void onCloseMessage(QWebSocket* socket, const QJsonArray& message);
    void forget(QWebSocket* socket);
    bool store(const QJsonObject& event);
    void forward(const QJsonObject& event);
    QList<QJsonObject> storedMatches(const QJsonArray& filters) const;
    Client* clientFor(QWebSocket* socket);
    static void send(QWebSocket* socket, const QJsonArray& message);

    std::unique_ptr<QWebSocketServer> m_server;
    bool m_tls = false;
    QSslConfiguration m_tlsConfiguration;
    QHostAddress m_address{QHostAddress::LocalHost};
    quint16 m_port = 0;
    QList<Client> m_clients;
    QList<QJsonObject> m_stored;
    QList<QJsonObject> m_receivedEvents;
    QList<QJsonArray> m_receivedMessages;
    EventHook m_onEvent;
    EventPolicy m_policy;
    bool m_acknowledge = true;
    bool m_verifyIds = true;
    int m_connectionsAccepted = 0;
};

} // namespace l402::test
