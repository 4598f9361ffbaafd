// l402-wallet run --agent NAME [--only-proxy] [--hide PATH]... -- COMMAND...
// Starts an agent the safe way: with the proxy and CA variables set for its credential, in a
// bubblewrap sandbox (Debian's `bubblewrap`; the kernel's namespaces do the isolating, we
// only choose the mounts) where the wallet's data folder, its control socket, the session
// D-Bus (the keyring) and the usual node folders do not exist. With --only-proxy the sandbox
// has its own network namespace whose only way out is a relay to the wallet's proxy.
#include "app/Commands.h"
#include "app/WalletSession.h"
#include "core/control/ControlCommands.h"
#include "core/control/ControlServer.h"
#include "core/proxy/AgentSetup.h"
#include "core/proxy/LocalCa.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalServer>
#include <QLocalSocket>
#include <QPointer>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <unistd.h>

namespace l402::app {
namespace {

constexpr auto kInnerRelayCommand = "__sandbox-relay";

// Copies bytes both ways between two connected devices (a proxied HTTP connection, passed
// through unread). Called once `b` is connected; what `a` sent before then goes first.
void joinSockets(QIODevice* a, QIODevice* b)
{
    QObject::connect(a, &QIODevice::readyRead, b, [a, b] { b->write(a->readAll()); });
    QObject::connect(b, &QIODevice::readyRead, a, [a, b] { a->write(b->readAll()); });
    if (a->bytesAvailable() > 0) {
        b->write(a->readAll());
    }
}

void relayTcpToLocal(QTcpSocket* tcp, const QString& localPath)
{
    auto* local = new QLocalSocket(tcp);
    QObject::connect(local, &QLocalSocket::connected, tcp,
                     [tcp, local] { joinSockets(tcp, local); });
    QObject::connect(tcp, &QTcpSocket::disconnected, tcp, [tcp, local] {
        local->disconnectFromServer();
        tcp->deleteLater();
    });
    QObject::connect(local, &QLocalSocket::disconnected, tcp, [tcp] { tcp->disconnectFromHost(); });
    QObject::connect(local, &QLocalSocket::errorOccurred, tcp, [tcp] { tcp->abort(); });
    local->connectToServer(localPath);
}

void relayLocalToTcp(QLocalSocket* local, quint16 port)
{
    auto* tcp = new QTcpSocket(local);
    QObject::connect(tcp, &QTcpSocket::connected, local, [local, tcp] { joinSockets(local, tcp); });
    QObject::connect(local, &QLocalSocket::disconnected, local, [local, tcp] {
        tcp->disconnectFromHost();
        local->deleteLater();
    });
    QObject::connect(tcp, &QTcpSocket::disconnected, local,
                     [local] { local->disconnectFromServer(); });
    QObject::connect(tcp, &QTcpSocket::errorOccurred, local, [local] { local->abort(); });
    tcp->connectToHost(QHostAddress::LocalHost, port);
}

// The control socket as the sandbox sees it, bound where the wallet's would be: `fetch`, `mcp`
// and the read and brake commands inside work as outside, through the wallet's socket; an
// owner command is answered here with a refusal, whatever proof it carries, because nobody
// inside the sandbox is the owner. One request per connection, as every client sends them.
void filterControlConnection(QLocalSocket* inside, const QString& walletSocket,
                             const QString& credential)
{
    QObject::connect(inside, &QLocalSocket::disconnected, inside, &QObject::deleteLater);
    QObject::connect(inside, &QLocalSocket::readyRead, inside, [inside, walletSocket, credential] {
        if (inside->property("forwarded").toBool() || !inside->canReadLine()) {
            if (inside->bytesAvailable() > 64 * 1024) {
                inside->abort(); // no line in sight: not a client of ours
            }
            return;
        }
        inside->setProperty("forwarded", true);
        const QByteArray line = inside->readLine(64 * 1024);
        const QJsonObject request = QJsonDocument::fromJson(line).object();
        if (control::accessOf(control::operationOf(request)) == control::Access::Owner) {
            const QJsonObject refusal{
                {QStringLiteral("ok"), false},
                {QStringLiteral("error"),
                 QJsonObject{
                     {QStringLiteral("code"), QStringLiteral("owner_confirmation_required")},
                     {QStringLiteral("message"),
                      QStringLiteral("'%1' is an owner command, and nothing inside "
                                     "'l402-wallet run' can prove the owner: run it "
                                     "outside the sandbox.")
                          .arg(control::operationOf(request))}}}};
            inside->write(QJsonDocument(refusal).toJson(QJsonDocument::Compact) + '\n');
            inside->disconnectFromServer();
            return;
        }
        QByteArray forwarded = line;
        if (request.value(QLatin1String("cmd")).toString() == QLatin1String("run")) {
            // Reads inside are this agent's view: its own history and tokens.
            QJsonObject scoped = request;
            scoped.insert(QStringLiteral("agent_credential"), credential);
            forwarded = QJsonDocument(scoped).toJson(QJsonDocument::Compact) + '\n';
        }
        auto* wallet = new QLocalSocket(inside);
        QObject::connect(wallet, &QLocalSocket::connected, inside,
                         [wallet, forwarded] { wallet->write(forwarded); });
        QObject::connect(wallet, &QLocalSocket::readyRead, inside,
                         [inside, wallet] { inside->write(wallet->readAll()); });
        QObject::connect(wallet, &QLocalSocket::disconnected, inside,
                         [inside] { inside->disconnectFromServer(); });
        QObject::connect(wallet, &QLocalSocket::errorOccurred, inside,
                         [inside] { inside->abort(); });
        wallet->connectToServer(walletSocket);
    });
}

// Runs `program arguments` with this process's terminal and standard streams, returning its
// exit code once it ends (the event loop keeps the relays going meanwhile).
int runForwarded(QCoreApplication& application, const QString& program,
                 const QStringList& arguments)
{
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedChannels);
    child.setInputChannelMode(QProcess::ForwardedInputChannel);
    int exitCode = 127;
    QObject::connect(&child, &QProcess::finished, &application,
                     [&](int code, QProcess::ExitStatus status) {
                         exitCode = status == QProcess::NormalExit ? code : 128 + 9;
                         application.quit();
                     });
    QObject::connect(
        &child, &QProcess::errorOccurred, &application, [&](QProcess::ProcessError error) {
            if (error == QProcess::FailedToStart) {
                std::fprintf(stderr, "l402-wallet run: cannot start %s\n", qPrintable(program));
                application.quit();
            }
        });
    child.start(program, arguments);
    application.exec();
    return exitCode;
}

// Inside the --only-proxy sandbox (its own network namespace, loopback only): listens where
// the agent expects the proxy and passes each connection to the socket the outer `run`
// relays to the real proxy; then runs the agent.
int runInnerRelay(const QStringList& arguments)
{
    // __sandbox-relay SOCKET PORT -- COMMAND... (the `--` is gone: parseGlobalOptions)
    if (arguments.size() < 3) {
        return kExitUsage;
    }
    const QString socketPath = arguments.at(0);
    const auto port = static_cast<quint16>(arguments.at(1).toUInt());
    int argc = 1;
    char name[] = "l402-wallet";
    char* argv[] = {name, nullptr};
    QCoreApplication application(argc, argv);
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, port)) {
        std::fprintf(stderr, "l402-wallet run: the sandbox's proxy relay cannot listen: %s\n",
                     qPrintable(server.errorString()));
        return kExitError;
    }
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
        while (QTcpSocket* socket = server.nextPendingConnection()) {
            relayTcpToLocal(socket, socketPath);
        }
    });
    return runForwarded(application, arguments.at(2), arguments.mid(3));
}

// The usual places node credentials live (macaroons, runes, passwords): hidden inside.
QStringList nodeFolders()
{
    const QString home = QDir::homePath();
    return {home + QStringLiteral("/.lnd"), home + QStringLiteral("/.lightning"),
            home + QStringLiteral("/.phoenix"), home + QStringLiteral("/.lnbits"),
            home + QStringLiteral("/.local/share/keyrings")};
}

} // namespace

int runAgentSandbox(const GlobalOptions& options)
{
    if (options.arguments.value(0) == QLatin1String(kInnerRelayCommand)) {
        return runInnerRelay(options.arguments.mid(1));
    }
    QString agentName;
    QString agentFile;
    bool onlyProxy = false;
    QStringList hidden;
    QStringList writable;
    QStringList command;
    for (qsizetype i = 0; i < options.arguments.size(); ++i) {
        const QString& argument = options.arguments.at(i);
        if (argument == QLatin1String("--agent") && i + 1 < options.arguments.size()) {
            agentName = options.arguments.at(++i);
        } else if (argument == QLatin1String("--agent-file") && i + 1 < options.arguments.size()) {
            agentFile = options.arguments.at(++i);
        } else if (argument == QLatin1String("--hide") && i + 1 < options.arguments.size()) {
            hidden << QFileInfo(options.arguments.at(++i)).absoluteFilePath();
        } else if (argument == QLatin1String("--write") && i + 1 < options.arguments.size()) {
            writable << QFileInfo(options.arguments.at(++i)).absoluteFilePath();
        } else if (argument == QLatin1String("--only-proxy")) {
            onlyProxy = true;
        } else if (!argument.startsWith(QLatin1String("--"))) {
            // parseGlobalOptions put the words after `--` here: the agent's command.
            command = options.arguments.mid(i);
            break;
        } else {
            return reportError(
                options, usage(QStringLiteral("run does not know the option %1.").arg(argument)),
                kExitUsage);
        }
    }
    if (command.isEmpty()) {
        return reportError(options,
                           usage(QStringLiteral("run takes [--agent NAME] [--agent-file FILE] "
                                                "[--only-proxy] [--hide PATH]... [--write "
                                                "PATH]... -- COMMAND [ARGUMENTS...].")),
                           kExitUsage);
    }
    const auto credential = agentCredentialFrom(agentFile);
    if (!credential) {
        return reportError(options, credential.error());
    }
    const QString bwrap = QStandardPaths::findExecutable(QStringLiteral("bwrap"));
    if (bwrap.isEmpty()) {
        return reportError(options, Error{QStringLiteral("no_sandbox"),
                                          QStringLiteral("run needs bubblewrap: sudo apt install "
                                                         "bubblewrap")});
    }
    int argc = 1;
    char name[] = "l402-wallet";
    char* argv[] = {name, nullptr};
    QCoreApplication application(argc, argv);
    const QString dataDir = resolveDataDir(options);
    auto status = control::controlRequest(
        dataDir, QJsonObject{{QStringLiteral("cmd"), QStringLiteral("status")},
                             {QStringLiteral("agent_credential"), QString::fromUtf8(*credential)}});
    if (!status) {
        return reportError(options, status.error());
    }
    const QJsonObject running = status->value(QLatin1String("result")).toObject();
    const QString agent = running.value(QLatin1String("agent")).toString();
    if (agent.isEmpty() || (!agentName.isEmpty() && agent != agentName)) {
        return reportError(
            options, Error{QStringLiteral("agent_unknown"),
                           agent.isEmpty()
                               ? QStringLiteral("The agent credential is not valid (unknown agent "
                                                "or wrong secret).")
                               : QStringLiteral("The credential is agent %1's, not %2's.")
                                     .arg(agent, agentName)});
    }
    const auto port = static_cast<quint16>(running.value(QLatin1String("proxy_port")).toInt());
    if (port == 0) {
        return reportError(options, Error{QStringLiteral("control_unavailable"),
                                          QStringLiteral("The running wallet's proxy is not "
                                                         "listening yet.")});
    }

    // What the agent may see of the wallet: the CA it must trust, copied out of the hidden
    // data folder, and (with --only-proxy) the relay's socket.
    QTemporaryDir shared(QDir::tempPath() + QStringLiteral("/l402-run-XXXXXX"));
    if (!shared.isValid() ||
        !QFile::copy(proxy::LocalCa::bundleFile(dataDir),
                     shared.filePath(QStringLiteral("ca-bundle.pem"))) ||
        !QFile::copy(proxy::LocalCa::certificateFile(dataDir),
                     shared.filePath(QStringLiteral("ca.pem")))) {
        return reportError(options, Error{QStringLiteral("local_ca"),
                                          QStringLiteral("The wallet's CA files could not be "
                                                         "copied for the sandbox.")});
    }
    const QString secret = QString::fromUtf8(credential->mid(credential->indexOf(':') + 1));

    // Everything read-only, the agent's project folder (the working folder) and the --write
    // paths writable, a private /tmp: an agent cannot leave a command in ~/.bashrc or an
    // autostart file that would run outside the sandbox later.
    QStringList arguments{
        QStringLiteral("--die-with-parent"),
        QStringLiteral("--new-session"), // no TIOCSTI into the user's terminal
        QStringLiteral("--unshare-pid"), // no /proc/PID/root of an outside process
        QStringLiteral("--unshare-ipc"),
        QStringLiteral("--ro-bind"),
        QStringLiteral("/"),
        QStringLiteral("/"),
        QStringLiteral("--dev"),
        QStringLiteral("/dev"),
        QStringLiteral("--proc"),
        QStringLiteral("/proc"),
        QStringLiteral("--tmpfs"),
        QStringLiteral("/tmp")};
    writable.prepend(QDir::currentPath());
    for (const QString& path : std::as_const(writable)) {
        if (QFileInfo::exists(path)) {
            arguments << QStringLiteral("--bind") << path << path;
        }
    }
    arguments << QStringLiteral("--ro-bind") << shared.path() << shared.path();
    // The private /tmp must not take away the programs run inside: this binary (the relay of
    // --only-proxy, `fetch` and `mcp`, wherever it is installed or built) and the agent's
    // command when it is a file under /tmp.
    for (const QString& program :
         {QCoreApplication::applicationFilePath(), QFileInfo(command.first()).absoluteFilePath()}) {
        if (program.startsWith(QStringLiteral("/tmp/")) && QFileInfo(program).isFile()) {
            arguments << QStringLiteral("--ro-bind") << program << program;
        }
    }
    // The data folder (database, key file, control socket) becomes an empty folder.
    QStringList folders{dataDir};
    folders += nodeFolders();
    folders += hidden;
    const QString runtimeDir = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtimeDir.isEmpty()) {
        folders << runtimeDir; // the session bus, the keyring's control socket
    }
    for (const QString& folder : std::as_const(folders)) {
        const QFileInfo info(folder);
        if (info.isDir()) {
            arguments << QStringLiteral("--tmpfs") << info.absoluteFilePath();
        } else if (info.exists()) {
            arguments << QStringLiteral("--ro-bind") << QStringLiteral("/dev/null")
                      << info.absoluteFilePath();
        }
    }
    // In the empty data folder, only the filtered control socket.
    QLocalServer controlFilter;
    const QString filterPath = shared.filePath(QStringLiteral("control.sock"));
    controlFilter.setSocketOptions(QLocalServer::UserAccessOption);
    if (!controlFilter.listen(filterPath)) {
        return reportError(options, Error{QStringLiteral("internal"),
                                          QStringLiteral("The sandbox's control socket cannot "
                                                         "listen: %1")
                                              .arg(controlFilter.errorString())});
    }
    const QString walletSocket = control::ControlServer::socketPath(dataDir);
    QObject::connect(
        &controlFilter, &QLocalServer::newConnection, &controlFilter,
        [&controlFilter, walletSocket, agentCredential = QString::fromUtf8(*credential)] {
            while (QLocalSocket* socket = controlFilter.nextPendingConnection()) {
                filterControlConnection(socket, walletSocket, agentCredential);
            }
        });
    arguments << QStringLiteral("--ro-bind") << filterPath << walletSocket;
    // A session bus at a path outside XDG_RUNTIME_DIR (dbus-launch's /tmp/dbus-*) is covered
    // too; an abstract one only goes away with the network namespace of --only-proxy.
    const QString bus = qEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS");
    bool abstractBus = false;
    for (const QString& part : bus.split(u';', Qt::SkipEmptyParts)) {
        for (const QString& field : part.section(u':', 1).split(u',')) {
            if (field.startsWith(QLatin1String("path="))) {
                const QString path = field.mid(5);
                if (QFileInfo::exists(path)) {
                    arguments << QStringLiteral("--ro-bind") << QStringLiteral("/dev/null") << path;
                }
            } else if (field.startsWith(QLatin1String("abstract="))) {
                abstractBus = true;
            }
        }
    }
    if (abstractBus && !onlyProxy) {
        std::fprintf(stderr, "l402-wallet run: warning: the session bus is an abstract socket, "
                             "which only --only-proxy hides.\n");
    }
    for (const char* variable : {"DBUS_SESSION_BUS_ADDRESS", "L402_WALLET_PASSPHRASE",
                                 "SSH_AUTH_SOCK", "GNOME_KEYRING_CONTROL"}) {
        arguments << QStringLiteral("--unsetenv") << QLatin1String(variable);
    }
    // `fetch` and `mcp` inside find the filtered socket where the wallet's is.
    arguments << QStringLiteral("--setenv") << QStringLiteral("L402_WALLET_HOME") << dataDir;
    const QString url = proxy::agentProxyUrl(agent, secret, port);
    for (const char* variable : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}) {
        arguments << QStringLiteral("--setenv") << QLatin1String(variable) << url;
    }
    arguments << QStringLiteral("--setenv") << QStringLiteral("NO_PROXY")
              << QStringLiteral("localhost,127.0.0.1,::1") << QStringLiteral("--setenv")
              << QStringLiteral("no_proxy") << QStringLiteral("localhost,127.0.0.1,::1")
              << QStringLiteral("--setenv") << QStringLiteral("NODE_USE_ENV_PROXY")
              << QStringLiteral("1");
    for (const char* variable :
         {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"}) {
        arguments << QStringLiteral("--setenv") << QLatin1String(variable)
                  << shared.filePath(QStringLiteral("ca-bundle.pem"));
    }
    arguments << QStringLiteral("--setenv") << QStringLiteral("NODE_EXTRA_CA_CERTS")
              << shared.filePath(QStringLiteral("ca.pem")) << QStringLiteral("--setenv")
              << QStringLiteral("L402_WALLET_AGENT") << QString::fromUtf8(*credential)
              << QStringLiteral("--chdir") << QDir::currentPath();

    QLocalServer relay;
    if (onlyProxy) {
        // Its own network: loopback only. The relay inside listens on the proxy's port and
        // hands each connection, through a socket in the shared folder, to this process,
        // which connects it to the proxy and nowhere else.
        const QString socketPath = shared.filePath(QStringLiteral("proxy.sock"));
        relay.setSocketOptions(QLocalServer::UserAccessOption);
        if (!relay.listen(socketPath)) {
            return reportError(
                options,
                Error{
                    QStringLiteral("internal"),
                    QStringLiteral("The proxy relay cannot listen: %1").arg(relay.errorString())});
        }
        QObject::connect(&relay, &QLocalServer::newConnection, &relay, [&relay, port] {
            while (QLocalSocket* socket = relay.nextPendingConnection()) {
                relayLocalToTcp(socket, port);
            }
        });
        arguments << QStringLiteral("--unshare-net") << QStringLiteral("--")
                  << QCoreApplication::applicationFilePath() << QStringLiteral("run")
                  << QLatin1String(kInnerRelayCommand) << socketPath << QString::number(port)
                  << QStringLiteral("--");
    } else {
        arguments << QStringLiteral("--");
    }
    arguments += command;
    return runForwarded(application, bwrap, arguments);
}

} // namespace l402::app
