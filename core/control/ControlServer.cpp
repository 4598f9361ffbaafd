#include "core/control/ControlServer.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QTimer>

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

QJsonObject okReply(const QJsonValue& result)
{
    return QJsonObject{{QStringLiteral("ok"), true}, {QStringLiteral("result"), result}};
}

QJsonObject errorJson(const Error& error)
{
    return failure(error.code, error.message);
}

// The wire form of the engine's types. Header values are Latin-1 per RFC 9110; macaroons and
// invoices are ASCII, so they travel as JSON strings unchanged.
QJsonObject contextJson(const payments::RequestContext& context)
{
    QJsonObject out{{QStringLiteral("origin"), context.origin.toString()},
                    {QStringLiteral("agent"), context.agent},
                    {QStringLiteral("resource"), context.resource},
                    {QStringLiteral("path"), context.path},
                    {QStringLiteral("sent_token_id"), qint64(context.sentTokenId)}};
    if (context.maxCostMsat) {
        out.insert(QStringLiteral("max_cost_msat"), qint64(*context.maxCostMsat));
    }
    if (context.maxFeeMsat) {
        out.insert(QStringLiteral("max_fee_msat"), qint64(*context.maxFeeMsat));
    }
    return out;
}

std::optional<payments::RequestContext> contextFrom(const QJsonObject& in)
{
    const auto origin = policy::Origin::parse(in.value(QLatin1String("origin")).toString());
    if (!origin) {
        return std::nullopt;
    }
    payments::RequestContext context;
    context.origin = *origin;
    context.agent = in.value(QLatin1String("agent")).toString();
    context.resource = in.value(QLatin1String("resource")).toString();
    context.path = in.value(QLatin1String("path")).toString();
    context.sentTokenId = in.value(QLatin1String("sent_token_id")).toInteger();
    if (in.contains(QLatin1String("max_cost_msat"))) {
        context.maxCostMsat = in.value(QLatin1String("max_cost_msat")).toInteger();
    }
    if (in.contains(QLatin1String("max_fee_msat"))) {
        context.maxFeeMsat = in.value(QLatin1String("max_fee_msat")).toInteger();
    }
    return context;
}

QJsonValue credentialJson(const std::optional<payments::Credential>& credential)
{
    if (!credential) {
        return QJsonValue();
    }
    QJsonObject out{{QStringLiteral("header_name"), QString::fromLatin1(credential->headerName)},
                    {QStringLiteral("header_value"), QString::fromLatin1(credential->headerValue)},
                    {QStringLiteral("token_id"), qint64(credential->tokenId)}};
    if (credential->payment) {
        out.insert(
            QStringLiteral("payment"),
            QJsonObject{{QStringLiteral("id"), qint64(credential->payment->paymentId)},
                        {QStringLiteral("amount_msat"), qint64(credential->payment->amountMsat)},
                        {QStringLiteral("fee_msat"), qint64(credential->payment->feeMsat)},
                        {QStringLiteral("payment_hash"),
                         QString::fromLatin1(credential->payment->paymentHash.toHex())}});
    }
    return out;
}

std::optional<payments::Credential> credentialFrom(const QJsonValue& value)
{
    if (!value.isObject()) {
        return std::nullopt;
    }
    const QJsonObject in = value.toObject();
    payments::Credential credential;
    credential.headerName = in.value(QLatin1String("header_name")).toString().toLatin1();
    credential.headerValue = in.value(QLatin1String("header_value")).toString().toLatin1();
    credential.tokenId = in.value(QLatin1String("token_id")).toInteger();
    if (in.value(QLatin1String("payment")).isObject()) {
        const QJsonObject payment = in.value(QLatin1String("payment")).toObject();
        credential.payment = payments::PaymentSummary{
            payment.value(QLatin1String("id")).toInteger(),
            payment.value(QLatin1String("amount_msat")).toInteger(),
            payment.value(QLatin1String("fee_msat")).toInteger(),
            QByteArray::fromHex(
                payment.value(QLatin1String("payment_hash")).toString().toLatin1())};
    }
    return credential;
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
            QPointer<QLocalSocket> target(socket);
            const auto reply = [target](const QJsonObject& answer) {
                if (target) {
                    target->write(QJsonDocument(answer).toJson(QJsonDocument::Compact) + '\n');
                }
            };
            QJsonParseError error{};
            const QJsonDocument document = QJsonDocument::fromJson(line, &error);
            if (!document.isObject()) {
                reply(failure(QStringLiteral("bad_request"),
                              QStringLiteral("The control socket takes one JSON object per "
                                             "line.")));
            } else if (auto answered = answer(document.object(), reply)) {
                reply(*answered);
            }
        }
        if (socket->bytesAvailable() > kMaxRequestBytes) {
            socket->abort();
        }
    });
}

std::optional<QJsonObject>
ControlServer::answer(const QJsonObject& request,
                      const std::function<void(const QJsonObject&)>& reply)
{
    const QString command = request.value(QLatin1String("cmd")).toString();
    if (command == QLatin1String("status")) {
        return okReply(
            QJsonObject{{QStringLiteral("version"), QCoreApplication::applicationVersion()},
                        {QStringLiteral("pid"), qint64(QCoreApplication::applicationPid())}});
    }
    if (command == QLatin1String("approvals")) {
        QJsonArray list;
        for (const policy::ApprovalRequest& pending : m_broker.pending()) {
            list.append(requestJson(pending));
        }
        return okReply(list);
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
        return okReply(requestJson(*found));
    }
    if (command == QLatin1String("run") && m_runner) {
        return okReply(m_runner(request));
    }
    if (command == QLatin1String("credential") && m_gateway) {
        const auto origin =
            policy::Origin::parse(request.value(QLatin1String("origin")).toString());
        if (!origin) {
            return failure(QStringLiteral("bad_request"), QStringLiteral("No valid origin."));
        }
        m_gateway->credentialFor(*origin, request.value(QLatin1String("path")).toString(), this,
                                 [reply](std::optional<payments::Credential> credential) {
                                     reply(okReply(QJsonObject{{QStringLiteral("credential"),
                                                                credentialJson(credential)}}));
                                 });
        return std::nullopt;
    }
    if (command == QLatin1String("pay") && m_gateway) {
        const auto context = contextFrom(request.value(QLatin1String("context")).toObject());
        if (!context) {
            return failure(QStringLiteral("bad_request"), QStringLiteral("No valid origin."));
        }
        QList<QByteArray> challenges;
        for (const QJsonValue& value : request.value(QLatin1String("www_authenticate")).toArray()) {
            challenges.append(value.toString().toLatin1());
        }
        m_gateway->paymentRequired(
            *context, challenges, this, [reply](Result<payments::Credential> granted) {
                reply(granted ? okReply(QJsonObject{{QStringLiteral("credential"),
                                                     credentialJson(granted.value())}})
                              : errorJson(granted.error()));
            });
        return std::nullopt;
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

RemoteGateway::RemoteGateway(QString dataDir)
    : m_dataDir(std::move(dataDir))
{
}

void RemoteGateway::ask(const QJsonObject& request, QObject* context,
                        std::function<void(Result<QJsonValue>)> done)
{
    auto* socket = new QLocalSocket(context);
    auto answered = std::make_shared<bool>(false);
    const auto finish = [socket, answered, done = std::move(done)](Result<QJsonValue> result) {
        if (*answered) {
            return;
        }
        *answered = true;
        socket->disconnect();
        socket->deleteLater();
        done(std::move(result));
    };
    QObject::connect(socket, &QLocalSocket::connected, socket, [socket, request] {
        socket->write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    });
    QObject::connect(socket, &QLocalSocket::readyRead, socket, [socket, finish] {
        if (!socket->canReadLine()) {
            return;
        }
        const QJsonObject reply = QJsonDocument::fromJson(socket->readLine()).object();
        if (!reply.value(QLatin1String("ok")).toBool()) {
            const QJsonObject error = reply.value(QLatin1String("error")).toObject();
            finish(Result<QJsonValue>::failure(error.value(QLatin1String("code")).toString(),
                                               error.value(QLatin1String("message")).toString()));
            return;
        }
        finish(reply.value(QLatin1String("result")));
    });
    // Before an answer, a closed connection means the wallet stopped (or crashed) meanwhile;
    // a payment it started is settled by it and shows in its history.
    QObject::connect(socket, &QLocalSocket::errorOccurred, socket, [finish] {
        finish(Result<QJsonValue>::failure(
            QStringLiteral("control_unavailable"),
            QStringLiteral("The running wallet closed the connection before answering; a "
                           "payment it began is settled by it and shows in its history.")));
    });
    socket->connectToServer(ControlServer::socketPath(m_dataDir));
}

void RemoteGateway::credentialFor(const policy::Origin& origin, const QString& path,
                                  QObject* context,
                                  std::function<void(std::optional<payments::Credential>)> done)
{
    ask(QJsonObject{{QStringLiteral("cmd"), QStringLiteral("credential")},
                    {QStringLiteral("origin"), origin.toString()},
                    {QStringLiteral("path"), path}},
        context, [done = std::move(done)](Result<QJsonValue> result) {
            // Without an answer the request goes out bare; a 402 then asks again.
            done(result ? credentialFrom(result->toObject().value(QLatin1String("credential")))
                        : std::nullopt);
        });
}

void RemoteGateway::paymentRequired(const payments::RequestContext& request,
                                    const QList<QByteArray>& wwwAuthenticate, QObject* context,
                                    std::function<void(Result<payments::Credential>)> done)
{
    QJsonArray challenges;
    for (const QByteArray& value : wwwAuthenticate) {
        challenges.append(QString::fromLatin1(value));
    }
    ask(QJsonObject{{QStringLiteral("cmd"), QStringLiteral("pay")},
                    {QStringLiteral("context"), contextJson(request)},
                    {QStringLiteral("www_authenticate"), challenges}},
        context, [done = std::move(done)](Result<QJsonValue> result) {
            if (!result) {
                done(Result<payments::Credential>(result.error()));
                return;
            }
            auto credential = credentialFrom(result->toObject().value(QLatin1String("credential")));
            if (!credential) {
                done(Result<payments::Credential>::failure(
                    QStringLiteral("control_unavailable"),
                    QStringLiteral("The running wallet answered without a credential.")));
                return;
            }
            done(std::move(*credential));
        });
}

} // namespace l402::control
