#include "tests/support/FakeWebSocketRelay.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QSet>
#include <QWebSocket>
#include <QWebSocketServer>

#include <algorithm>
#include <cmath>
#include <limits>

namespace l402::test {

namespace {

bool isLowerHex(const QJsonValue& value, qsizetype length)
{
    if (!value.isString()) {
        return false;
    }
    const QString text = value.toString();
    return text.size() == length && std::all_of(text.cbegin(), text.cend(), [](QChar c) {
               return (c >= QLatin1Char('0') && c <= QLatin1Char('9')) ||
                      (c >= QLatin1Char('a') && c <= QLatin1Char('f'));
           });
}

bool isInteger(const QJsonValue& value)
{
    if (!value.isDouble()) {
        return false;
    }
    const double number = value.toDouble();
    return std::isfinite(number) && std::floor(number) == number &&
           std::fabs(number) < 9'007'199'254'740'992.0; // 2^53: exact in a double
}

bool areTags(const QJsonValue& value)
{
    if (!value.isArray()) {
        return false;
    }
    const QJsonArray tags = value.toArray();
    return std::all_of(tags.begin(), tags.end(), [](const QJsonValue& tag) {
        if (!tag.isArray()) {
            return false;
        }
        const QJsonArray items = tag.toArray();
        return std::all_of(items.begin(), items.end(),
                           [](const QJsonValue& item) { return item.isString(); });
    });
}

// Why a client's event is malformed ("invalid: ..." as relays say it), or empty.
QString malformation(const QJsonObject& event)
{
    if (!isLowerHex(event.value(QLatin1String("id")), 64)) {
        return QStringLiteral("invalid: id must be 64 lowercase hex characters");
    }
    if (!isLowerHex(event.value(QLatin1String("pubkey")), 64)) {
        return QStringLiteral("invalid: pubkey must be 64 lowercase hex characters");
    }
    if (!isLowerHex(event.value(QLatin1String("sig")), 128)) {
        return QStringLiteral("invalid: sig must be 128 lowercase hex characters");
    }
    if (!isInteger(event.value(QLatin1String("created_at")))) {
        return QStringLiteral("invalid: created_at must be an integer");
    }
    const QJsonValue kind = event.value(QLatin1String("kind"));
    if (!isInteger(kind) || kind.toInteger() < 0 || kind.toInteger() > 65535) {
        return QStringLiteral("invalid: kind must be an integer from 0 to 65535");
    }
    if (!areTags(event.value(QLatin1String("tags")))) {
        return QStringLiteral("invalid: tags must be an array of arrays of strings");
    }
    if (!event.value(QLatin1String("content")).isString()) {
        return QStringLiteral("invalid: content must be a string");
    }
    return {};
}

// A JSON string as the id serialisation writes it: \n \" \\ \r \t \b \f escaped, other C0
// controls verbatim (NIP-01) or as \u00xx (JSON.stringify), everything else verbatim UTF-8.
void appendJsonString(QByteArray& out, const QString& text, FakeWebSocketRelay::IdEscaping escaping)
{
    out.append('"');
    const QByteArray utf8 = text.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '"':
            out.append("\\\"");
            break;
        case '\\':
            out.append("\\\\");
            break;
        case '\n':
            out.append("\\n");
            break;
        case '\r':
            out.append("\\r");
            break;
        case '\t':
            out.append("\\t");
            break;
        case '\b':
            out.append("\\b");
            break;
        case '\f':
            out.append("\\f");
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 &&
                escaping == FakeWebSocketRelay::IdEscaping::JsonStringify) {
                out.append("\\u00");
                out.append(
                    QByteArray::number(static_cast<unsigned char>(c), 16).rightJustified(2, '0'));
            } else {
                out.append(c);
            }
        }
    }
    out.append('"');
}

qint64 integerField(const QJsonObject& event, const char* name)
{
    return event.value(QLatin1String(name)).toInteger();
}

QString stringField(const QJsonObject& event, const char* name)
{
    return event.value(QLatin1String(name)).toString();
}

// Event kinds with special storage rules (NIP-01 "Kinds").
bool isEphemeral(qint64 kind)
{
    return kind >= 20000 && kind < 30000;
}
bool isReplaceable(qint64 kind)
{
    return kind == 0 || kind == 3 || (kind >= 10000 && kind < 20000);
}
bool isAddressable(qint64 kind)
{
    return kind >= 30000 && kind < 40000;
}

QString dTag(const QJsonObject& event)
{
    const QJsonArray tags = event.value(QLatin1String("tags")).toArray();
    for (const QJsonValue& tag : tags) {
        const QJsonArray items = tag.toArray();
        if (items.size() >= 2 && items.at(0).toString() == QLatin1String("d")) {
            return items.at(1).toString();
        }
    }
    return {};
}

// Newest first; among equal timestamps the lowest id, which NIP-01 says wins a replacement.
bool newerFirst(const QJsonObject& a, const QJsonObject& b)
{
    const qint64 left = integerField(a, "created_at");
    const qint64 right = integerField(b, "created_at");
    if (left != right) {
        return left > right;
    }
    return stringField(a, "id") < stringField(b, "id");
}

bool anyPrefixMatches(const QJsonValue& candidates, const QString& value)
{
    const QJsonArray list = candidates.toArray();
    return std::any_of(list.begin(), list.end(), [&value](const QJsonValue& candidate) {
        const QString prefix = candidate.toString();
        return !prefix.isEmpty() && value.startsWith(prefix);
    });
}

} // namespace

FakeWebSocketRelay::FakeWebSocketRelay(QObject* parent)
    : QObject(parent)
{
}

FakeWebSocketRelay::~FakeWebSocketRelay()
{
    const QList<Client> clients = std::exchange(m_clients, {});
    for (const Client& client : clients) {
        QObject::disconnect(client.socket, nullptr, this, nullptr);
        client.socket->abort();
        delete client.socket;
    }
    m_server.reset();
}

bool FakeWebSocketRelay::listen(const QHostAddress& address, quint16 port)
{
    m_tls = false;
    return startListening(address, port);
}

bool FakeWebSocketRelay::listenTls(const QSslConfiguration& configuration,
                                   const QHostAddress& address, quint16 port)
{
    m_tls = true;
    m_tlsConfiguration = configuration;
    return startListening(address, port);
}

bool FakeWebSocketRelay::startListening(const QHostAddress& address, quint16 port)
{
    close();
    m_server = std::make_unique<QWebSocketServer>(QStringLiteral("l402-fake-relay"),
                                                  m_tls ? QWebSocketServer::SecureMode
                                                        : QWebSocketServer::NonSecureMode);
    if (m_tls) {
        m_server->setSslConfiguration(m_tlsConfiguration);
    }
    connect(m_server.get(), &QWebSocketServer::newConnection, this, [this] { acceptPending(); });
    if (!m_server->listen(address, port)) {
        qWarning("FakeWebSocketRelay: cannot listen: %s", qPrintable(m_server->errorString()));
        m_server.reset();
        return false;
    }
    m_address = address;
    m_port = m_server->serverPort();
    return true;
}

void FakeWebSocketRelay::close()
{
    if (m_server) {
        m_server->close();
    }
    dropAllConnections();
}

bool FakeWebSocketRelay::isListening() const
{
    return m_server && m_server->isListening();
}

QUrl FakeWebSocketRelay::url() const
{
    QUrl url;
    url.setScheme(m_tls ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setHost(m_address.toString());
    url.setPort(m_port);
    return url;
}

void FakeWebSocketRelay::publish(const QJsonObject& event)
{
    if (store(event)) {
        forward(event);
    }
}

void FakeWebSocketRelay::clearHistory()
{
    m_receivedEvents.clear();
    m_receivedMessages.clear();
}

QStringList FakeWebSocketRelay::subscriptionIds() const
{
    QStringList ids;
    for (const Client& client : m_clients) {
        ids.append(client.subscriptions.keys());
    }
    ids.sort();
    return ids;
}

void FakeWebSocketRelay::dropAllConnections()
{
    const QList<Client> clients = m_clients;
    for (const Client& client : clients) {
        client.socket->abort();
        forget(client.socket);
    }
}

void FakeWebSocketRelay::closeAllConnections()
{
    const QList<Client> clients = m_clients;
    for (const Client& client : clients) {
        client.socket->close(QWebSocketProtocol::CloseCodeGoingAway,
                             QStringLiteral("relay shutting down"));
    }
}

bool FakeWebSocketRelay::setRefuseConnections(bool refuse)
{
    if (refuse) {
        if (m_server) {
            m_server->close();
        }
        return true;
    }
    if (isListening()) {
        return true;
    }
    if (!m_server || !m_server->listen(m_address, m_port)) {
        qWarning("FakeWebSocketRelay: cannot listen again on port %u", unsigned{m_port});
        return false;
    }
    return true;
}

QString FakeWebSocketRelay::computeEventId(const QJsonObject& event, IdEscaping escaping)
{
    QByteArray serialised = QByteArrayLiteral("[0,");
    appendJsonString(serialised, stringField(event, "pubkey"), escaping);
    serialised.append(',');
    serialised.append(QByteArray::number(integerField(event, "created_at")));
    serialised.append(',');
    serialised.append(QByteArray::number(integerField(event, "kind")));
    serialised.append(",[");
    const QJsonArray tags = event.value(QLatin1String("tags")).toArray();
    for (qsizetype i = 0; i < tags.size(); ++i) {
        serialised.append(i == 0 ? "[" : ",[");
        const QJsonArray items = tags.at(i).toArray();
        for (qsizetype j = 0; j < items.size(); ++j) {
            if (j > 0) {
                serialised.append(',');
            }
            appendJsonString(serialised, items.at(j).toString(), escaping);
        }
        serialised.append(']');
    }
    serialised.append("],");
    appendJsonString(serialised, stringField(event, "content"), escaping);
    serialised.append(']');
    return QString::fromLatin1(
        QCryptographicHash::hash(serialised, QCryptographicHash::Sha256).toHex());
}

bool FakeWebSocketRelay::matchesFilter(const QJsonObject& filter, const QJsonObject& event)
{
    if (filter.contains(QLatin1String("ids")) &&
        !anyPrefixMatches(filter.value(QLatin1String("ids")), stringField(event, "id"))) {
        return false;
    }
    if (filter.contains(QLatin1String("authors")) &&
        !anyPrefixMatches(filter.value(QLatin1String("authors")), stringField(event, "pubkey"))) {
        return false;
    }
    const qint64 kind = integerField(event, "kind");
    if (filter.contains(QLatin1String("kinds"))) {
        const QJsonArray kinds = filter.value(QLatin1String("kinds")).toArray();
        if (std::none_of(kinds.begin(), kinds.end(), [kind](const QJsonValue& k) {
                return isInteger(k) && k.toInteger() == kind;
            })) {
            return false;
        }
    }
    const qint64 createdAt = integerField(event, "created_at");
    if (filter.contains(QLatin1String("since")) &&
        createdAt < filter.value(QLatin1String("since")).toInteger()) {
        return false;
    }
    if (filter.contains(QLatin1String("until")) &&
        createdAt > filter.value(QLatin1String("until")).toInteger()) {
        return false;
    }
    const QJsonArray tags = event.value(QLatin1String("tags")).toArray();
    for (auto it = filter.constBegin(); it != filter.constEnd(); ++it) {
        const QString key = it.key();
        if (key.size() != 2 || key.at(0) != QLatin1Char('#')) {
            continue;
        }
        const QString letter = key.mid(1);
        const QJsonArray wanted = it.value().toArray();
        const bool found = std::any_of(tags.begin(), tags.end(), [&](const QJsonValue& tag) {
            const QJsonArray items = tag.toArray();
            return items.size() >= 2 && items.at(0).toString() == letter &&
                   wanted.contains(items.at(1));
        });
        if (!found) {
            return false;
        }
    }
    return true;
}

void FakeWebSocketRelay::acceptPending()
{
    while (m_server && m_server->hasPendingConnections()) {
        QWebSocket* socket = m_server->nextPendingConnection();
        if (!socket) {
            break;
        }
        socket->setParent(this); // outlives a server that stops listening
        connect(socket, &QWebSocket::textMessageReceived, this,
                [this, socket](const QString& text) { onTextMessage(socket, text); });
        connect(socket, &QWebSocket::binaryMessageReceived, this, [socket](const QByteArray&) {
            send(socket, QJsonArray{QStringLiteral("NOTICE"),
                                    QStringLiteral("invalid: binary messages are not NIP-01")});
        });
        connect(socket, &QWebSocket::disconnected, this, [this, socket] { forget(socket); });
        m_clients.append(Client{socket, {}});
        ++m_connectionsAccepted;
    }
}

void FakeWebSocketRelay::onTextMessage(QWebSocket* socket, const QString& text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !document.isArray() ||
        document.array().isEmpty() || !document.array().at(0).isString()) {
        send(socket,
             QJsonArray{QStringLiteral("NOTICE"), QStringLiteral("invalid: not a NIP-01 message")});
        return;
    }
    const QJsonArray message = document.array();
    m_receivedMessages.append(message);
    const QString command = message.at(0).toString();
    if (command == QLatin1String("EVENT")) {
        onEventMessage(socket, message);
    } else if (command == QLatin1String("REQ")) {
        onRequestMessage(socket, message);
    } else if (command == QLatin1String("CLOSE")) {
        onCloseMessage(socket, message);
    } else {
        const QString notice = QStringLiteral("unsupported: ") + command;
        send(socket, QJsonArray{QStringLiteral("NOTICE"), notice});
    }
}

void FakeWebSocketRelay::onEventMessage(QWebSocket* socket, const QJsonArray& message)
{
    if (message.size() < 2 || !message.at(1).isObject()) {
        send(socket, QJsonArray{QStringLiteral("NOTICE"),
                                QStringLiteral("invalid: EVENT needs an event object")});
        return;
    }
    const QJsonObject event = message.at(1).toObject();
    m_receivedEvents.append(event);
    const QString id = stringField(event, "id");
    QString rejection = malformation(event);
    if (rejection.isEmpty() && m_verifyIds && computeEventId(event, IdEscaping::Nip01) != id &&
        computeEventId(event, IdEscaping::JsonStringify) != id) {
        rejection = QStringLiteral("invalid: event id does not match");
    }
    if (rejection.isEmpty() && m_policy) {
        rejection = m_policy(event);
    }
    if (!rejection.isEmpty()) {
        send(socket, QJsonArray{QStringLiteral("OK"), id, false, rejection});
        return;
    }
    if (!store(event)) {
        if (m_acknowledge) {
            send(socket, QJsonArray{QStringLiteral("OK"), id, true,
                                    QStringLiteral("duplicate: already have this event")});
        }
        return;
    }
    if (m_acknowledge) {
        send(socket, QJsonArray{QStringLiteral("OK"), id, true, QString()});
    }
    forward(event);
    Q_EMIT eventReceived(event);
    if (m_onEvent) {
        const EventHook hook = m_onEvent; // the hook may replace itself
        hook(event);
    }
}

void FakeWebSocketRelay::onRequestMessage(QWebSocket* socket, const QJsonArray& message)
{
    if (message.size() < 2 || !message.at(1).isString()) {
        send(socket, QJsonArray{QStringLiteral("NOTICE"),
                                QStringLiteral("invalid: REQ needs a subscription id")});
        return;
    }
    const QString subscriptionId = message.at(1).toString();
    if (subscriptionId.isEmpty() || subscriptionId.size() > 64) {
        send(socket,
             QJsonArray{QStringLiteral("CLOSED"), subscriptionId,
                        QStringLiteral("invalid: subscription id must be 1-64 characters")});
        return;
    }
    QJsonArray filters;
    for (qsizetype i = 2; i < message.size(); ++i) {
        if (!message.at(i).isObject()) {
            send(socket, QJsonArray{QStringLiteral("CLOSED"), subscriptionId,
                                    QStringLiteral("invalid: filters must be objects")});
            return;
        }
        filters.append(message.at(i));
    }
    Client* client = clientFor(socket);
    if (!client) {
        return;
    }
    client->subscriptions.insert(subscriptionId, filters); // same id: replaced
    for (const QJsonObject& event : storedMatches(filters)) {
        send(socket, QJsonArray{QStringLiteral("EVENT"), subscriptionId, event});
    }
    send(socket, QJsonArray{QStringLiteral("EOSE"), subscriptionId});
    Q_EMIT subscriptionOpened(subscriptionId, filters);
}

void FakeWebSocketRelay::onCloseMessage(QWebSocket* socket, const QJsonArray& message)
{
    if (message.size() < 2 || !message.at(1).isString()) {
        send(socket, QJsonArray{QStringLiteral("NOTICE"),
                                QStringLiteral("invalid: CLOSE needs a subscription id")});
        return;
    }
    const QString subscriptionId = message.at(1).toString();
    Client* client = clientFor(socket);
    if (client && client->subscriptions.remove(subscriptionId) > 0) {
        Q_EMIT subscriptionClosed(subscriptionId);
    }
}

void FakeWebSocketRelay::forget(QWebSocket* socket)
{
    for (qsizetype i = 0; i < m_clients.size(); ++i) {
        if (m_clients.at(i).socket == socket) {
            m_clients.removeAt(i);
            socket->deleteLater();
            return;
        }
    }
}

bool FakeWebSocketRelay::store(const QJsonObject& event)
{
    const QString id = stringField(event, "id");
    const auto sameId = [&id](const QJsonObject& stored) {
        return stringField(stored, "id") == id;
    };
    if (std::any_of(m_stored.cbegin(), m_stored.cend(), sameId)) {
        return false;
    }
    const qint64 kind = integerField(event, "kind");
    if (isEphemeral(kind)) {
        return true; // forwarded, never stored
    }
    if (isReplaceable(kind) || isAddressable(kind)) {
        const QString pubkey = stringField(event, "pubkey");
        const QString address = isAddressable(kind) ? dTag(event) : QString();
        for (qsizetype i = 0; i < m_stored.size(); ++i) {
            const QJsonObject& stored = m_stored.at(i);
            if (integerField(stored, "kind") != kind || stringField(stored, "pubkey") != pubkey ||
                (isAddressable(kind) && dTag(stored) != address)) {
                continue;
            }
            if (newerFirst(stored, event)) {
                return true; // an older version: accepted, but the newer one stays
            }
            m_stored.removeAt(i);
            break;
        }
    }
    m_stored.append(event);
    return true;
}

void FakeWebSocketRelay::forward(const QJsonObject& event)
{
    const QList<Client> clients = m_clients;
    for (const Client& client : clients) {
        for (auto it = client.subscriptions.constBegin(); it != client.subscriptions.constEnd();
             ++it) {
            const QJsonArray& filters = it.value();
            const bool wanted =
                std::any_of(filters.begin(), filters.end(), [&](const QJsonValue& f) {
                    return matchesFilter(f.toObject(), event);
                });
            if (wanted) {
                send(client.socket, QJsonArray{QStringLiteral("EVENT"), it.key(), event});
            }
        }
    }
}

QList<QJsonObject> FakeWebSocketRelay::storedMatches(const QJsonArray& filters) const
{
    QList<QJsonObject> sorted = m_stored;
    std::stable_sort(sorted.begin(), sorted.end(), newerFirst);
    QList<QJsonObject> result;
    QSet<QString> seen;
    for (const QJsonValue& value : filters) {
        const QJsonObject filter = value.toObject();
        qint64 limit = std::numeric_limits<qint64>::max();
        if (filter.contains(QLatin1String("limit"))) {
            limit = filter.value(QLatin1String("limit")).toInteger();
        }
        qint64 taken = 0;
        for (const QJsonObject& event : sorted) {
            if (taken >= limit) {
                break;
            }
            if (!matchesFilter(filter, event)) {
                continue;
            }
            ++taken;
            const QString id = stringField(event, "id");
            if (!seen.contains(id)) {
                seen.insert(id);
                result.append(event);
            }
        }
    }
    std::stable_sort(result.begin(), result.end(), newerFirst);
    return result;
}

FakeWebSocketRelay::Client* FakeWebSocketRelay::clientFor(QWebSocket* socket)
{
    for (Client& client : m_clients) {
        if (client.socket == socket) {
            return &client;
        }
    }
    return nullptr;
}

void FakeWebSocketRelay::send(QWebSocket* socket, const QJsonArray& message)
{
    socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

} // namespace l402::test
