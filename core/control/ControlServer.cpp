#include "core/control/ControlServer.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>

#include <sys/socket.h>
#include <unistd.h>

namespace l402::control {
namespace {

constexpr qsizetype kMaxRequestBytes = 64 * 1024;

QJsonObject failure(const QString& code, const QString& message)
{
    return QJsonObject{
        {QStringLiteral("ok"), false},
        {QStringLiteral("error"),
         QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}};
}

QJsonObject requestJson(const policy::ApprovalRequest& request)
{
    return QJsonObject{{QStringLiteral("id"), request.id},
                       {QStringLiteral("origin"), request.origin},
                       {QStringLiteral("agent"), request.agent},
                       {QStringLiteral("amount_msat"), qint64(request.amountMsat)},
                       {QStringLiteral("description"), request.description},
                       {QStringLiteral("budget_impact"), request.budgetImpact},
                       {QStringLiteral("expires_at"), request.expiresAt.toSecsSinceEpoch()}};
}

bool sameUser(QLocalSocket* socket)
{
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(static_cast<int>(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED,
                     &credentials, &length) != 0) {
        return false;
    }
    return credentials.uid == ::getuid();
}

} // namespace

ControlServer::ControlServer(policy::ApprovalBroker& broker, QObject* parent)
    : QObject(parent)
    , m_broker(broker)
{
}

ControlServer::~ControlServer() = default;

QString ControlServer::socketPath(const QString& dataDir)
{
    return dataDir + QStringLiteral("/control.sock");
}

Status ControlServer::listen(const QString& dataDir)
{
    const QString path = socketPath(dataDir);
    QLocalServer::removeServer(path);
    m_server = std::make_unique<QLocalServer>();
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(path)) {
        return Status::failure(QStringLiteral("control_socket"),
                               QStringLiteral("The control socket %1 cannot be opened: %2")
                                   .arg(path, m_server->errorString()));
    }
    connect(m_server.get(), &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket* socket = m_server->nextPendingConnection()) {
            serve(socket);
        }
    });
    return success();
}

void ControlServer::serve(QLocalSocket* socket)
{
    connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    if (!sameUser(socket)) {
        socket->abort();
        return;
    }
    connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
        while (socket->canReadLine()) {
            const QByteArray line = socket->readLine(kMaxRequestBytes);
            QJsonParseError error{};
            const QJsonDocument document = QJsonDocument::fromJson(line, &error);
            const QJsonObject reply =
                document.isObject()
                    ? answer(document.object())
                    : failure(QStringLiteral("bad_request"),
                              QStringLiteral("The control socket takes one JSON object per "
                                             "line."));
            socket->write(QJsonDocument(reply).toJson(QJsonDocument::Compact) + '\n');
        }
        if (socket->bytesAvailable() > kMaxRequestBytes) {
            socket->abort();
        }
    });
}

QJsonObject ControlServer::answer(const QJsonObject& request)
{
    const QString command = request.value(QLatin1String("cmd")).toString();
    if (command == QLatin1String("approvals")) {
        QJsonArray list;
        for (const policy::ApprovalRequest& pending : m_broker.pending()) {
            list.append(requestJson(pending));
        }
        return QJsonObject{{QStringLiteral("ok"), true}, {QStringLiteral("result"), list}};
    }
    if (command == QLatin1String("approve") || command == QLatin1String("deny")) {
        const QString id = request.value(QLatin1String("id")).toString();
        const QString rememberText = request.value(QLatin1String("remember")).toString();
        const auto remember = rememberText.isEmpty() ? std::optional(policy::Remember::Once)
                                                     : policy::rememberFromName(rememberText);
        if (!remember) {
            return failure(QStringLiteral("usage"),
                           QStringLiteral("--remember is once, 1h, session or always."));
        }
        const auto found = m_broker.find(id);
        if (!found || !m_broker.answer(id, command == QLatin1String("approve"), *remember)) {
            return failure(QStringLiteral("not_found"),
                           QStringLiteral("No payment is waiting for approval under %1 (it may "
                                          "have timed out).")
                               .arg(id));
        }
        return QJsonObject{{QStringLiteral("ok"), true},
                           {QStringLiteral("result"), requestJson(*found)}};
    }
    return failure(QStringLiteral("usage"),
                   QStringLiteral("Unknown control command '%1'.").arg(command));
}

Result<QJsonObject> controlRequest(const QString& dataDir, const QJsonObject& request,
                                   std::chrono::milliseconds timeout)
{
    using R = Result<QJsonObject>;
    QLocalSocket socket;
    socket.connectToServer(ControlServer::socketPath(dataDir));
    const QDeadlineTimer deadline(timeout);
    if (!socket.waitForConnected(static_cast<int>(deadline.remainingTime()))) {
        return R::failure(QStringLiteral("control_unavailable"),
                          QStringLiteral("No wallet is running for %1; start 'l402-wallet serve' "
                                         "or the window first.")
                              .arg(dataDir));
    }
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    while (!socket.canReadLine()) {
        if (deadline.hasExpired() || !socket.waitForReadyRead(static_cast<int>(
                                         std::max<qint64>(1, deadline.remainingTime())))) {
            return R::failure(QStringLiteral("control_unavailable"),
                              QStringLiteral("The running wallet did not answer."));
        }
    }
    const QJsonObject reply = QJsonDocument::fromJson(socket.readLine()).object();
    if (!reply.value(QLatin1String("ok")).toBool()) {
        const QJsonObject error = reply.value(QLatin1String("error")).toObject();
        return R::failure(error.value(QLatin1String("code")).toString(),
                          error.value(QLatin1String("message")).toString());
    }
    return reply;
}

} // namespace l402::control
