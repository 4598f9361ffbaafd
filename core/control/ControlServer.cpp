#include "core/control/ControlServer.h"

#include "core/control/ControlCommands.h"
#include "core/util/Money.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QThreadPool>
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
                       {QStringLiteral("held_to"), QJsonArray::fromStringList(request.heldTo)},
                       {QStringLiteral("notes"), QJsonArray::fromStringList(request.notes)},
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
                    {QStringLiteral("sent_token_id"), qint64(context.sentTokenId)},
                    {QStringLiteral("report_only"), context.reportOnly}};
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
    context.reportOnly = in.value(QLatin1String("report_only")).toBool();
    // Limits an agent sets for itself: whole msat within all the bitcoin there is, or the
    // request is refused (a huge fee limit must never reach a sum or the node).
    for (const auto& [name, field] :
         {std::pair{QLatin1String("max_cost_msat"), &context.maxCostMsat},
          std::pair{QLatin1String("max_fee_msat"), &context.maxFeeMsat}}) {
        if (in.contains(name)) {
            *field = wholeAmount(in.value(name), kMaxMsat);
            if (!*field) {
                return std::nullopt;
            }
        }
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
                    {QStringLiteral("token_id"), qint64(credential->tokenId)},
                    {QStringLiteral("bought_by"), credential->boughtBy}};
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
    credential.boughtBy = in.value(QLatin1String("bought_by")).toString();
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

std::optional<ucred> peerOf(QLocalSocket* socket)
{
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(static_cast<int>(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED,
                     &credentials, &length) != 0) {
        return std::nullopt;
    }
    return credentials;
}

QJsonObject ownerRequired(const QString& operation, const QStringList& kinds)
{
    QJsonObject out = failure(
        QLatin1String(policy::owner_error::kConfirmationRequired),
        QStringLiteral("'%1' is an owner command: confirm it in the wallet window, or run it "
                       "from a terminal and type the wallet passphrase%2 when asked.")
            .arg(operation, kinds.contains(QLatin1String("pin")) ? QStringLiteral(" or owner PIN")
                                                                 : QString()));
    QJsonObject error = out.value(QLatin1String("error")).toObject();
    error.insert(QStringLiteral("proof_kinds"), QJsonArray::fromStringList(kinds));
    error.insert(QStringLiteral("operation"), operation);
    out.insert(QStringLiteral("error"), error);
    return out;
}

// The words of a request as a person would have typed them, for the owner's confirmation.
QString commandText(const QJsonObject& request)
{
    const QString command = request.value(QLatin1String("cmd")).toString();
    if (command != QLatin1String("run")) {
        QString text = command;
        if (request.contains(QLatin1String("id"))) {
            text += u' ' + request.value(QLatin1String("id")).toString();
        }
        if (!request.value(QLatin1String("remember")).toString().isEmpty()) {
            text += QStringLiteral(" --remember ") +
                    request.value(QLatin1String("remember")).toString();
        }
        return text;
    }
    QStringList words{request.value(QLatin1String("command")).toString()};
    for (const QJsonValue& argument : request.value(QLatin1String("arguments")).toArray()) {
        words.append(argument.toString());
    }
    return words.join(u' ');
}

QStringList wordsOf(const QJsonArray& arguments)
{
    QStringList words;
    for (const QJsonValue& argument : arguments) {
        words.append(argument.toString());
    }
    return words;
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

QStringList controlCommandNames()
{
    return {QStringLiteral("status"), QStringLiteral("approvals"),    QStringLiteral("approve"),
            QStringLiteral("deny"),   QStringLiteral("run"),          QStringLiteral("credential"),
            QStringLiteral("pay"),    QStringLiteral("set-owner-pin")};
}

CallerProcess callerProcess(qint64 pid)
{
    CallerProcess caller;
    caller.pid = pid;
    const QString base = QStringLiteral("/proc/%1").arg(pid);
    caller.executable = QFileInfo(base + QStringLiteral("/exe")).symLinkTarget();
    QFile cmdline(base + QStringLiteral("/cmdline"));
    if (cmdline.open(QIODevice::ReadOnly)) {
        QByteArray raw = cmdline.read(4096);
        while (raw.endsWith('\0')) {
            raw.chop(1);
        }
        raw.replace('\0', ' ');
        caller.commandLine = QString::fromLocal8Bit(raw);
    }
    return caller;
}

void ControlServer::serve(QLocalSocket* socket)
{
    connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
    const auto peer = peerOf(socket);
    if (!peer || peer->uid != ::getuid()) {
        socket->abort();
        return;
    }
    // Read when the connection opens: the process that asks is the one shown to the owner.
    CallerProcess caller = callerProcess(peer->pid);
    caller.uid = peer->uid;
    connect(socket, &QLocalSocket::readyRead, this, [this, socket, caller] {
        while (socket->canReadLine()) {
            const QByteArray line = socket->readLine(kMaxRequestBytes);
            QPointer<QLocalSocket> target(socket);
            const Reply reply = [target](const QJsonObject& answer) {
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
            } else {
                handle(document.object(), caller, reply);
            }
        }
        if (socket->bytesAvailable() > kMaxRequestBytes) {
            socket->abort();
        }
    });
}

void ControlServer::handle(const QJsonObject& request, const CallerProcess& caller,
                           const Reply& reply)
{
    const QString command = request.value(QLatin1String("cmd")).toString();
    if (!controlCommandNames().contains(command)) {
        reply(failure(QStringLiteral("usage"),
                      QStringLiteral("Unknown control command '%1'.").arg(command)));
        return;
    }
    const QString operation = operationOf(request);
    switch (accessOf(operation)) {
    case Access::Read:
    case Access::Brake: {
        // A read with an agent credential is that agent's view: only its own history and
        // tokens (`run`'s sandbox sends every read so).
        QJsonObject scoped = request;
        scoped.remove(QStringLiteral("as_agent"));
        if (request.contains(QLatin1String("agent_credential")) &&
            command == QLatin1String("run")) {
            const auto agent =
                m_verifyAgent
                    ? m_verifyAgent(
                          request.value(QLatin1String("agent_credential")).toString().toUtf8())
                    : std::optional<QString>();
            if (!agent) {
                reply(failure(QStringLiteral("agent_unknown"),
                              QStringLiteral("The agent credential is not valid (unknown "
                                             "agent or wrong secret).")));
                return;
            }
            scoped.insert(QStringLiteral("as_agent"), *agent);
        }
        if (auto answered = answer(scoped, QString(), reply)) {
            reply(*answered);
        }
        return;
    }
    case Access::Agent: {
        const QByteArray credential =
            request.value(QLatin1String("agent_credential")).toString().toUtf8();
        const auto agent = m_verifyAgent && !credential.isEmpty() ? m_verifyAgent(credential)
                                                                  : std::optional<QString>();
        if (!agent) {
            reply(failure(credential.isEmpty() ? QStringLiteral("agent_credential_required")
                                               : QStringLiteral("agent_unknown"),
                          credential.isEmpty()
                              ? QStringLiteral("'%1' needs an agent credential (name:secret, as "
                                               "'agent add' printed it).")
                                    .arg(operation)
                              : QStringLiteral("The agent credential is not valid (unknown "
                                               "agent or wrong secret).")));
            return;
        }
        if (auto answered = answer(request, *agent, reply)) {
            reply(*answered);
        }
        return;
    }
    case Access::Owner:
        checkOwner(request, caller, operation, reply, [this, request, reply] {
            if (auto answered = answer(request, QString(), reply)) {
                reply(*answered);
            }
        });
        return;
    }
}

void ControlServer::checkOwner(const QJsonObject& request, const CallerProcess& caller,
                               const QString& operation, const Reply& reply,
                               std::function<void()> allowed)
{
    if (m_trustSameUser) {
        allowed();
        return;
    }
    std::optional<policy::OwnerSecrets> secrets;
    if (m_ownerProof) {
        if (auto read = m_ownerProof->secrets()) {
            secrets = std::move(read.value());
        } else {
            reply(errorJson(read.error()));
            return;
        }
    }
    const QStringList kinds = secrets ? policy::OwnerProof::kinds(*secrets) : QStringList();
    const QJsonValue proof = request.value(QLatin1String("proof"));
    if (proof.isObject()) {
        if (!secrets || kinds.isEmpty()) {
            reply(ownerRequired(operation, kinds));
            return;
        }
        if (auto may = m_ownerProof->mayTry(*secrets); !may) {
            reply(errorJson(may.error()));
            return;
        }
        // Counted as wrong until it proves right: guesses sent all at once, before any check
        // has ended, meet the same limit as guesses sent one by one.
        if (auto counted = m_ownerProof->record(false); !counted) {
            reply(errorJson(counted.error()));
            return;
        }
        // Argon2id takes about half a second: off this thread, which serves payments.
        const QByteArray secret =
            proof.toObject().value(QLatin1String("secret")).toString().toUtf8();
        QPointer<ControlServer> self(this);
        QThreadPool::globalInstance()->start(
            [self, secrets = *secrets, secret, reply, allowed = std::move(allowed)]() mutable {
                const bool matched = policy::OwnerProof::matches(secrets, secret);
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, matched, reply, allowed = std::move(allowed)] {
                        if (!self || !self->m_ownerProof) {
                            return;
                        }
                        if (matched) { // the failure counted up front is cleared
                            if (auto recorded = self->m_ownerProof->record(true); !recorded) {
                                reply(errorJson(recorded.error()));
                                return;
                            }
                        }
                        if (!matched) {
                            reply(failure(QLatin1String(policy::owner_error::kWrongProof),
                                          QStringLiteral("The owner proof is wrong (not the wallet "
                                                         "passphrase or owner PIN).")));
                            return;
                        }
                        allowed();
                    },
                    Qt::QueuedConnection);
            });
        return;
    }
    if (m_confirmOwner) {
        OwnerRequest asked;
        asked.id = QString::number(++m_nextOwnerRequest);
        asked.operation = operation;
        asked.command = commandText(request);
        asked.caller = caller;
        const QString cmd = request.value(QLatin1String("cmd")).toString();
        asked.effect =
            cmd == QLatin1String("run")
                ? describeEffect(request.value(QLatin1String("command")).toString(),
                                 wordsOf(request.value(QLatin1String("arguments")).toArray()))
                : describeEffect(cmd, commandText(request).split(u' ').mid(1));
        reply(QJsonObject{{QStringLiteral("pending"), QStringLiteral("window")},
                          {QStringLiteral("message"),
                           QStringLiteral("Confirm '%1' in the wallet window…").arg(operation)}});
        QPointer<ControlServer> self(this);
        m_confirmOwner(asked, [self, reply, operation, allowed = std::move(allowed)](bool yes) {
            if (!self) {
                return;
            }
            if (!yes) {
                reply(failure(QLatin1String(policy::owner_error::kDenied),
                              QStringLiteral("The owner did not confirm '%1' in the window.")
                                  .arg(operation)));
                return;
            }
            allowed();
        });
        return;
    }
    reply(ownerRequired(operation, kinds));
}

std::optional<QJsonObject> ControlServer::answer(const QJsonObject& request, const QString& agent,
                                                 const Reply& reply)
{
    const QString command = request.value(QLatin1String("cmd")).toString();
    if (command == QLatin1String("status")) {
        return okReply(QJsonObject{
            {QStringLiteral("version"), QCoreApplication::applicationVersion()},
            {QStringLiteral("pid"), qint64(QCoreApplication::applicationPid())},
            {QStringLiteral("proxy_port"), int(m_proxyPort)},
            // With a credential: whom it proves (null when it proves nobody).
            {QStringLiteral("agent"),
             request.contains(QLatin1String("agent_credential")) && m_verifyAgent
                 ? QJsonValue(
                       m_verifyAgent(
                           request.value(QLatin1String("agent_credential")).toString().toUtf8())
                           .value_or(QString()))
                 : QJsonValue()},
            {QStringLiteral("owner_proof"), m_trustSameUser  ? QStringLiteral("trust_same_user")
                                            : m_confirmOwner ? QStringLiteral("window")
                                                             : QStringLiteral("terminal")}});
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
    if (command == QLatin1String("set-owner-pin")) {
        if (!m_ownerProof) {
            return failure(QStringLiteral("internal"), QStringLiteral("No owner proof here."));
        }
        if (auto set =
                m_ownerProof->setPin(request.value(QLatin1String("pin")).toString().toUtf8());
            !set) {
            return errorJson(set.error());
        }
        return okReply(QJsonObject{});
    }
    if (command == QLatin1String("run") && m_runner) {
        return okReply(m_runner(request));
    }
    if (command == QLatin1String("credential") && m_gateway) {
        const auto origin =
            policy::Origin::parse(request.value(QLatin1String("origin")).toString());
        if (!origin) {
            return failure(QStringLiteral("bad_request"),
                           QStringLiteral("No valid origin, or a limit that is not a whole "
                                          "msat amount within 21 million bitcoin."));
        }
        m_gateway->credentialFor(*origin, request.value(QLatin1String("path")).toString(), this,
                                 [reply, agent](std::optional<payments::Credential> credential) {
                                     // Another agent's token stays with the wallet: this
                                     // caller then meets the 402 and pays (or reuses) its own.
                                     if (credential && credential->boughtBy != agent) {
                                         credential.reset();
                                     }
                                     reply(okReply(QJsonObject{{QStringLiteral("credential"),
                                                                credentialJson(credential)}}));
                                 });
        return std::nullopt;
    }
    if (command == QLatin1String("pay") && m_gateway) {
        auto context = contextFrom(request.value(QLatin1String("context")).toObject());
        if (!context) {
            return failure(QStringLiteral("bad_request"),
                           QStringLiteral("No valid origin, or a limit that is not a whole "
                                          "msat amount within 21 million bitcoin."));
        }
        // The agent is the one proven, whatever name the request wrote.
        context->agent = agent;
        context->ownTokensOnly = true;
        QList<QByteArray> challenges;
        for (const QJsonValue& value : request.value(QLatin1String("www_authenticate")).toArray()) {
            challenges.append(value.toString().toLatin1());
        }
        m_gateway->paymentRequired(
            *context, challenges, this, [reply, agent](Result<payments::Credential> granted) {
                if (granted && granted->tokenId != 0 && granted->boughtBy != agent) {
                    reply(failure(QStringLiteral("internal"),
                                  QStringLiteral("The wallet picked another agent's token; "
                                                 "nothing was handed out.")));
                    return;
                }
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
                                   std::chrono::milliseconds timeout,
                                   const std::function<void(const QString&)>& pending,
                                   std::chrono::milliseconds pendingTimeout)
{
    using R = Result<QJsonObject>;
    QLocalSocket socket;
    socket.connectToServer(ControlServer::socketPath(dataDir));
    QDeadlineTimer deadline(timeout);
    if (!socket.waitForConnected(static_cast<int>(deadline.remainingTime()))) {
        return R::failure(QStringLiteral("control_unavailable"),
                          QStringLiteral("No wallet is running for %1; start 'l402-wallet serve' "
                                         "or the window first.")
                              .arg(dataDir));
    }
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    for (;;) {
        while (!socket.canReadLine()) {
            if (deadline.hasExpired() || !socket.waitForReadyRead(static_cast<int>(
                                             std::max<qint64>(1, deadline.remainingTime())))) {
                return R::failure(QStringLiteral("control_unavailable"),
                                  QStringLiteral("The running wallet did not answer."));
            }
        }
        const QJsonObject reply = QJsonDocument::fromJson(socket.readLine()).object();
        if (reply.contains(QLatin1String("pending"))) {
            // The owner is being asked in the window; the answer comes when they click.
            if (pending) {
                pending(reply.value(QLatin1String("message")).toString());
            }
            deadline = QDeadlineTimer(pendingTimeout);
            continue;
        }
        if (!reply.value(QLatin1String("ok")).toBool()) {
            const QJsonObject error = reply.value(QLatin1String("error")).toObject();
            return R(Error{error.value(QLatin1String("code")).toString(),
                           error.value(QLatin1String("message")).toString()});
        }
        return reply;
    }
}

RemoteGateway::RemoteGateway(QString dataDir, QByteArray agentCredential)
    : m_dataDir(std::move(dataDir))
    , m_agentCredential(std::move(agentCredential))
{
}

void RemoteGateway::ask(QJsonObject request, QObject* context,
                        std::function<void(Result<QJsonValue>)> done)
{
    request.insert(QStringLiteral("agent_credential"), QString::fromUtf8(m_agentCredential));
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
