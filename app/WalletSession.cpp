#include "app/WalletSession.h"

#include "app/Commands.h"

#include "app/OwnerPrompt.h"
#include "app/WalletRuntime.h"
#include "core/control/ControlCommands.h"
#include "core/control/ControlServer.h"
#include "core/policy/Agents.h"
#include "core/policy/OwnerProof.h"
#include "core/proxy/ProxyServer.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

namespace l402::app {
namespace {

thread_local store::WalletStore* t_hostWallet = nullptr;
thread_local quint16 t_hostProxyPort = 0;

const QStringList& hostCommands()
{
    static const QStringList commands{QStringLiteral("history"), QStringLiteral("tokens"),
                                      QStringLiteral("budget"),  QStringLiteral("agent"),
                                      QStringLiteral("ca"),      QStringLiteral("pause"),
                                      QStringLiteral("resume")};
    return commands;
}

// Sends the command to a running wallet. Empty when none answers (then the caller opens the
// wallet itself, and a wallet that is busy after all says so while unlocking).
std::optional<int> runInRunningWallet(const GlobalOptions& options)
{
    if (!hostCommands().contains(options.command)) {
        return std::nullopt;
    }
    // File arguments are read by the running wallet, whose working folder is not ours.
    QStringList arguments = options.arguments;
    if (options.command == QLatin1String("ca") && arguments.size() > 1) {
        arguments[1] = QFileInfo(arguments.at(1)).absoluteFilePath();
    }
    auto reply = ownerControlRequest(
        resolveDataDir(options),
        QJsonObject{{QStringLiteral("cmd"), QStringLiteral("run")},
                    {QStringLiteral("command"), options.command},
                    {QStringLiteral("arguments"), QJsonArray::fromStringList(arguments)},
                    {QStringLiteral("json"), options.json}},
        control::describeEffect(options.command, options.arguments));
    if (!reply) {
        if (reply.error().code == QLatin1String("control_unavailable")) {
            return std::nullopt;
        }
        return reportError(options, reply.error());
    }
    const QJsonObject result = reply->value(QLatin1String("result")).toObject();
    writeOut(result.value(QLatin1String("stdout")).toString().toUtf8());
    writeErr(result.value(QLatin1String("stderr")).toString().toUtf8());
    return result.value(QLatin1String("exit")).toInt(kExitError);
}

QJsonObject runRequest(const QString& command, const QStringList& arguments)
{
    return QJsonObject{{QStringLiteral("cmd"), QStringLiteral("run")},
                       {QStringLiteral("command"), command},
                       {QStringLiteral("arguments"), QJsonArray::fromStringList(arguments)},
                       {QStringLiteral("json"), true}};
}

// The JSON a data command printed with --json, or the error it reported.
Result<QJsonValue> jsonOfRun(const QJsonObject& ran)
{
    const QJsonDocument document =
        QJsonDocument::fromJson(ran.value(QLatin1String("stdout")).toString().toUtf8());
    if (ran.value(QLatin1String("exit")).toInt(kExitError) != kExitOk) {
        const QJsonObject error = document.object().value(QLatin1String("error")).toObject();
        return Error{error.value(QLatin1String("code")).toString(QStringLiteral("internal")),
                     error.value(QLatin1String("message")).toString()};
    }
    if (document.isArray()) {
        return QJsonValue(document.array());
    }
    return QJsonValue(document.object());
}

} // namespace

Result<QByteArray> agentCredentialFrom(const QString& agentFile)
{
    QByteArray credential;
    if (!agentFile.isEmpty()) {
        QFile file(agentFile);
        if (!file.open(QIODevice::ReadOnly)) {
            return Error{QStringLiteral("usage"),
                         QStringLiteral("Cannot read the agent file %1.").arg(agentFile)};
        }
        credential = file.readLine(4096).trimmed();
    } else {
        credential = qgetenv("L402_WALLET_AGENT").trimmed();
    }
    if (credential.isEmpty()) {
        return Error{QStringLiteral("agent_credential_required"),
                     QStringLiteral("No agent credential: set L402_WALLET_AGENT=name:secret (the "
                                    "line 'l402-wallet agent add NAME' printed) or give "
                                    "--agent-file FILE.")};
    }
    const qsizetype colon = credential.indexOf(':');
    if (colon <= 0 || colon == credential.size() - 1) {
        return Error{QStringLiteral("agent_credential_required"),
                     QStringLiteral("The agent credential is name:secret, as 'l402-wallet agent "
                                    "add NAME' printed it.")};
    }
    return credential;
}

namespace {

Error unknownAgent()
{
    return Error{QStringLiteral("agent_unknown"),
                 QStringLiteral("The agent credential is not valid (unknown agent or wrong "
                                "secret); 'l402-wallet agent list' shows the agents.")};
}

} // namespace

int runWithWalletAccess(
    const GlobalOptions& options, const QByteArray& agentCredential,
    const std::function<void(WalletAccess& access, std::function<void(int)> finish)>& body)
{
    const QString dataDir = resolveDataDir(options);
    if (auto status = control::controlRequest(
            dataDir,
            QJsonObject{{QStringLiteral("cmd"), QStringLiteral("status")},
                        {QStringLiteral("agent_credential"), QString::fromUtf8(agentCredential)}},
            std::chrono::seconds(5))) {
        const QString agent = status->value(QLatin1String("result"))
                                  .toObject()
                                  .value(QLatin1String("agent"))
                                  .toString();
        if (agent.isEmpty()) {
            return reportError(options, unknownAgent());
        }
        int argc = 1;
        char name[] = "l402-wallet";
        char* argv[] = {name, nullptr};
        QCoreApplication application(argc, argv);
        control::RemoteGateway gateway(dataDir, agentCredential);
        WalletAccess access{
            gateway,
            [dataDir](const QString& command, const QStringList& arguments) -> Result<QJsonValue> {
                auto reply = control::controlRequest(dataDir, runRequest(command, arguments));
                if (!reply) {
                    return reply.error();
                }
                return jsonOfRun(reply->value(QLatin1String("result")).toObject());
            },
            true, agent};
        std::optional<int> exitCode;
        body(access, [&](int code) {
            if (!exitCode) {
                exitCode = code;
                application.exit(code);
            }
        });
        if (!exitCode) {
            application.exec();
        }
        return exitCode.value_or(kExitError);
    }
    std::unique_ptr<WalletRuntime> runtime;
    std::unique_ptr<proxy::EngineGateway> gateway;
    std::unique_ptr<WalletAccess> access;
    const int exitCode = runWithWallet(options, [&](store::WalletStore& wallet,
                                                    std::function<void(int)> finish) {
        auto agents = policy::AgentBook(wallet.database(), SystemClock::instance()).credentials();
        if (!agents) {
            finish(reportError(options, agents.error()));
            return;
        }
        const auto agent = policy::verifyAgent(agents.value(), agentCredential);
        if (!agent) {
            finish(reportError(options, unknownAgent()));
            return;
        }
        auto created = WalletRuntime::create(wallet, options.demo);
        if (!created) {
            finish(reportError(options, created.error()));
            return;
        }
        runtime = std::move(created.value());
        runtime->broker->setAnswerable(false);
        gateway = std::make_unique<proxy::EngineGateway>(*runtime->engine);
        access = std::make_unique<WalletAccess>(WalletAccess{
            *gateway,
            [&wallet](const QString& command, const QStringList& arguments) -> Result<QJsonValue> {
                return jsonOfRun(runInHost(wallet, runRequest(command, arguments)));
            },
            false, *agent});
        QObject::connect(runtime->engine.get(), &payments::PaymentEngine::ready,
                         runtime->engine.get(), [&, finish] { body(*access, finish); });
        runtime->engine->start();
    });
    access.reset();
    gateway.reset();
    runtime.reset();
    return exitCode;
}

quint16 agentProxyPort()
{
    return t_hostProxyPort ? t_hostProxyPort : kDefaultProxyPort;
}

QJsonObject runInHost(store::WalletStore& wallet, const QJsonObject& request, quint16 proxyPort)
{
    GlobalOptions options;
    options.command = request.value(QLatin1String("command")).toString();
    options.json = request.value(QLatin1String("json")).toBool();
    options.dataDir = wallet.dataDir();
    options.onlyAgent = request.value(QLatin1String("as_agent")).toString();
    for (const QJsonValue& argument : request.value(QLatin1String("arguments")).toArray()) {
        options.arguments << argument.toString();
    }
    OutputCapture capture;
    int exitCode = kExitError;
    if (!hostCommands().contains(options.command)) {
        exitCode = reportError(
            options,
            usage(QStringLiteral("The running wallet does not run '%1'.").arg(options.command)),
            kExitUsage);
    } else {
        store::WalletStore* const previous = t_hostWallet;
        const quint16 previousPort = t_hostProxyPort;
        t_hostWallet = &wallet;
        t_hostProxyPort = proxyPort;
        exitCode = runDataCommand(options);
        t_hostWallet = previous;
        t_hostProxyPort = previousPort;
    }
    return QJsonObject{{QStringLiteral("exit"), exitCode},
                       {QStringLiteral("stdout"), QString::fromUtf8(capture.out)},
                       {QStringLiteral("stderr"), QString::fromUtf8(capture.err)}};
}

int runWithWallet(const GlobalOptions& options,
                  const std::function<void(store::WalletStore&, std::function<void(int)>)>& body)
{
    if (t_hostWallet) {
        // Data command bodies finish before they return; one that did not would have nothing
        // to report to: it is told so rather than left writing into this frame later.
        auto exitCode = std::make_shared<std::optional<int>>();
        body(*t_hostWallet, [exitCode](int code) {
            if (!*exitCode) {
                *exitCode = code;
            }
        });
        if (!*exitCode) {
            *exitCode = reportError(options, Error{QStringLiteral("internal"),
                                                   QStringLiteral("The command did not finish.")});
        }
        return **exitCode;
    }
    int argc = 1;
    char name[] = "l402-wallet";
    char* argv[] = {name, nullptr};
    QCoreApplication application(argc, argv);
    if (const auto forwarded = runInRunningWallet(options)) {
        return *forwarded;
    }
    protectSecretsInMemory();
    auto passphrase = store::passphraseFromEnvironment(options.passphraseFile);
    if (!passphrase) {
        return reportError(options, passphrase.error());
    }
    store::UnlockRequest request;
    request.dataDir = resolveDataDir(options);
    request.passphrase = std::move(passphrase.value());
    store::KeychainSecretStore keychain;
    std::unique_ptr<store::WalletStore> wallet;
    std::optional<int> exitCode;
    auto finish = [&](int code) {
        if (!exitCode) {
            exitCode = code;
            application.exit(code);
        }
    };
    const bool ownerCommand =
        control::accessOf(control::operationName(options.command, options.arguments)) ==
        control::Access::Owner;
    const bool byPassphrase = request.passphrase.has_value();
    store::openWallet(request, &keychain, SystemClock::instance(),
                      [&](Result<std::unique_ptr<store::WalletStore>> opened) {
                          if (!opened) {
                              finish(reportError(options, opened.error()));
                              return;
                          }
                          wallet = std::move(opened.value());
                          // In passphrase mode the passphrase that unlocked the wallet is the
                          // owner's proof; the keychain hands its key to any program of the
                          // user, so there the owner PIN is asked on the terminal.
                          if (ownerCommand && !byPassphrase) {
                              if (auto proven = proveOwnerByPin(
                                      *wallet,
                                      control::operationName(options.command, options.arguments),
                                      control::describeEffect(options.command, options.arguments));
                                  !proven) {
                                  finish(reportError(options, proven.error()));
                                  return;
                              }
                          }
                          body(*wallet, finish);
                      });
    if (!exitCode) {
        application.exec();
    }
    wallet.reset();
    return exitCode.value_or(kExitError);
}

} // namespace l402::app
