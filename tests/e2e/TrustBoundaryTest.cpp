// The agent is the adversary (DESIGN §3.8): it runs as the user, with a shell, while `serve`
// holds the wallet. Each test here is something such an agent would try, through the CLI, a
// raw control-socket client or from inside `l402-wallet run`, and what it must get: owner
// commands refused without the owner's proof and nothing changed; spending only as the agent
// its credential proves; another agent's tokens never handed out; in the sandbox, none of the
// wallet's files, its socket or the keyring. The owner's own proof (the passphrase typed on a
// real pseudo-terminal) works; the same secret from a pipe does not.

#include "core/control/ControlCommands.h"
#include "core/control/ControlServer.h"
#include "tests/support/CliWorld.h"
#include "tests/support/ProcessRunner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocalSocket>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace l402;
using namespace l402::test;

namespace {

constexpr auto kPassphrase = "cli world"; // CliWorld's

// Where the test's folders go: not under /tmp, which `run` gives the agent a private copy of,
// so that what the sandbox hides is hidden because `run` hides it. /var/tmp is read-only in
// the sandbox like the rest of the system (the build folder may itself be under /tmp).
QString outsideTmp()
{
    const QFileInfo varTmp(QStringLiteral("/var/tmp"));
    return varTmp.isDir() && varTmp.isWritable() ? varTmp.absoluteFilePath() : QDir::homePath();
}

QJsonObject parse(const QByteArray& json)
{
    return QJsonDocument::fromJson(json).object();
}

QString errorCode(const ProcessResult& result)
{
    return parse(result.out)
        .value(QLatin1String("error"))
        .toObject()
        .value(QLatin1String("code"))
        .toString();
}

// What a person at a terminal sees and types: the wallet started on a fresh pseudo-terminal
// that is its controlling terminal; each time a prompt appears in its output (`prompt`, or
// the next of `prompts` when given, one per answer), the next of `answers` is typed.
struct TerminalRun {
    int exitCode = -1;
    QByteArray screen;
};

TerminalRun runOnTerminal(const QStringList& arguments, const QProcessEnvironment& environment,
                          const QByteArray& prompt, QList<QByteArray> answers,
                          QList<QByteArray> prompts = {})
{
    QList<QByteArray> argStorage;
    argStorage << QByteArray(L402_WALLET_EXECUTABLE);
    for (const QString& argument : arguments) {
        argStorage << argument.toLocal8Bit();
    }
    QList<QByteArray> envStorage;
    for (const QString& entry : environment.toStringList()) {
        envStorage << entry.toLocal8Bit();
    }
    std::vector<char*> argv;
    for (QByteArray& a : argStorage) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (QByteArray& e : envStorage) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    TerminalRun run;
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
    if (pid < 0) {
        return run;
    }
    if (pid == 0) {
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    int status = 0;
    bool ended = false;
    qsizetype answeredUpTo = 0;
    const bool finished = QTest::qWaitFor(
        [&] {
            char buffer[4096];
            ssize_t got = 0;
            while ((got = ::read(master, buffer, sizeof buffer)) > 0) {
                run.screen.append(buffer, got);
            }
            const QByteArray expected = prompts.isEmpty() ? prompt : prompts.first();
            const qsizetype at = run.screen.indexOf(expected, answeredUpTo);
            if (at >= 0 && !answers.isEmpty()) {
                const QByteArray answer = answers.takeFirst() + '\n';
                (void)!::write(master, answer.constData(), size_t(answer.size()));
                answeredUpTo = at + expected.size();
                if (!prompts.isEmpty()) {
                    prompts.removeFirst();
                }
            }
            if (!ended && ::waitpid(pid, &status, WNOHANG) == pid) {
                ended = true;
            }
            return ended && got <= 0;
        },
        60'000);
    if (!finished && !ended) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    ::close(master);
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

} // namespace

class TrustBoundaryTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void everyCommandHasAClass();
    void ownerCommandsWithoutProofAreRefusedAndChangeNothing();
    void forgedSocketMessagesGetTheSame();
    void agentsSpendOnlyAsThemselves();
    void anAgentGetsOnlyItsOwnTokens();
    void ownerProofTypedOnATerminalWorks();
    void aSecretFromAPipeIsNoProof();
    void anOwnerPinSetOnTheTerminalProvesTheOwner();
    void runHidesTheWalletFromTheAgent();
    void runOnlyProxyLeavesNoOtherWayOut();
    void wrongProofsAreRateLimited();

private:
    // The CLI as an agent runs it: no controlling terminal (setsid), stdin closed.
    ProcessResult agentShell(const QStringList& arguments, const QProcessEnvironment& extra = {});
    // One raw request on the control socket, as a forging client writes it.
    QJsonObject raw(const QJsonObject& request, int timeoutMs = 20'000);
    // Everything an owner command could change, read with read-only commands.
    QByteArray snapshot();
    QString waitForApproval();

    std::unique_ptr<CliWorld> m_world;
    QProcess m_serve;
    QByteArray m_log;
    QString m_alice; // alice:<secret>
    QString m_bob;
    quint16 m_proxyPort = 0;
};

void TrustBoundaryTest::initTestCase()
{
    m_world = std::make_unique<CliWorld>(outsideTmp());
    QVERIFY(m_world->start());
    for (const char* name : {"alice", "bob"}) {
        const auto added = m_world->wallet({QStringLiteral("--json"), QStringLiteral("agent"),
                                            QStringLiteral("add"), QString::fromLatin1(name)});
        QCOMPARE(added.exitCode, 0);
        (name == QByteArrayView("alice") ? m_alice : m_bob) =
            parse(added.out).value(QLatin1String("credential")).toString();
    }
    // Agents pay on their own; alice's payments to this API ask first.
    QCOMPARE(m_world
                 ->wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("*"),
                           QStringLiteral("--mode"), QStringLiteral("auto"),
                           QStringLiteral("--daily"), QStringLiteral("1000")})
                 .exitCode,
             0);
    QCOMPARE(
        m_world
            ->wallet({QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("127.0.0.1"),
                      QStringLiteral("--agent"), QStringLiteral("alice"), QStringLiteral("--mode"),
                      QStringLiteral("ask")})
            .exitCode,
        0);

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QLatin1String(kPassphrase));
    m_serve.setProcessEnvironment(environment);
    m_serve.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                  {QStringLiteral("--data-dir"), m_world->dataDir(), QStringLiteral("serve"),
                   QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    QVERIFY(m_serve.waitForStarted());
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     m_log += m_serve.readAllStandardError();
                     if (m_serve.state() == QProcess::NotRunning) {
                         return true;
                     }
                     const QJsonObject status =
                         raw({{QStringLiteral("cmd"), QStringLiteral("status")}}, 2'000);
                     m_proxyPort = quint16(status.value(QLatin1String("result"))
                                               .toObject()
                                               .value(QLatin1String("proxy_port"))
                                               .toInt());
                     return m_proxyPort != 0;
                 },
                 60'000),
             m_log.constData());
    QVERIFY2(m_proxyPort != 0, m_log.constData());
    QCOMPARE(raw({{QStringLiteral("cmd"), QStringLiteral("status")}})
                 .value(QLatin1String("result"))
                 .toObject()
                 .value(QLatin1String("owner_proof"))
                 .toString(),
             QStringLiteral("terminal"));
}

void TrustBoundaryTest::cleanupTestCase()
{
    if (m_serve.state() != QProcess::NotRunning) {
        m_serve.terminate();
        QVERIFY(m_serve.waitForFinished(15'000));
    }
}

ProcessResult TrustBoundaryTest::agentShell(const QStringList& arguments,
                                            const QProcessEnvironment& extra)
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE")); // the agent does not have it
    environment.remove(QStringLiteral("L402_WALLET_AGENT"));
    for (const QString& key : extra.keys()) {
        environment.insert(key, extra.value(key));
    }
    return runProgramServingEvents(QStringLiteral("setsid"),
                                   QStringList{QStringLiteral("-w"),
                                               QStringLiteral(L402_WALLET_EXECUTABLE),
                                               QStringLiteral("--data-dir"), m_world->dataDir()} +
                                       arguments,
                                   environment, {}, 60'000);
}

QJsonObject TrustBoundaryTest::raw(const QJsonObject& request, int timeoutMs)
{
    QLocalSocket socket;
    socket.connectToServer(control::ControlServer::socketPath(m_world->dataDir()));
    if (!socket.waitForConnected(2'000)) {
        return {};
    }
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    QJsonObject answer;
    (void)QTest::qWaitFor(
        [&] {
            while (socket.canReadLine()) {
                const QJsonObject line = parse(socket.readLine());
                if (!line.contains(QLatin1String("pending"))) {
                    answer = line;
                    return true;
                }
            }
            return socket.state() != QLocalSocket::ConnectedState;
        },
        timeoutMs);
    return answer;
}

QByteArray TrustBoundaryTest::snapshot()
{
    QByteArray all;
    for (const QStringList& read :
         {QStringList{QStringLiteral("budget"), QStringLiteral("list")},
          QStringList{QStringLiteral("agent"), QStringLiteral("list")},
          QStringList{QStringLiteral("tokens")}, QStringList{QStringLiteral("approvals")}}) {
        const auto result = agentShell(QStringList{QStringLiteral("--json")} + read);
        if (result.exitCode != 0) {
            return "read failed: " + result.err;
        }
        all += result.out;
    }
    return all;
}

QString TrustBoundaryTest::waitForApproval()
{
    QString id;
    (void)QTest::qWaitFor(
        [&] {
            const QJsonArray pending = raw({{QStringLiteral("cmd"), QStringLiteral("approvals")}})
                                           .value(QLatin1String("result"))
                                           .toArray();
            id = pending.isEmpty()
                     ? QString()
                     : pending.first().toObject().value(QLatin1String("id")).toString();
            return !id.isEmpty();
        },
        30'000);
    return id;
}

void TrustBoundaryTest::everyCommandHasAClass()
{
    // Every request the control socket answers is in the table...
    for (const QString& command : control::controlCommandNames()) {
        QVERIFY2(control::findOperation(command), qPrintable(command));
    }
    // ...and so is every command and subcommand of the CLI's help, so a new one cannot be
    // added without deciding who may run it.
    const auto help = runWallet({QStringLiteral("--help")});
    QCOMPARE(help.exitCode, 0);
    // "  agent add NAME | agent list | agent pause|resume NAME   Description": the usage
    // column, its alternatives, and in each the command and its subcommand words.
    QStringList seen;
    bool inCommands = false;
    const QRegularExpression subcommand(QStringLiteral("^[a-z][a-z|-]*$"));
    for (const QByteArray& line : help.out.split('\n')) {
        if (line.startsWith("Commands")) {
            inCommands = true;
            continue;
        }
        if (line.startsWith("Options") || line.startsWith("Who may")) {
            break;
        }
        if (!inCommands || !line.startsWith("  ") || line.startsWith("   ")) {
            continue;
        }
        const QString usageColumn =
            QString::fromUtf8(line).trimmed().section(QStringLiteral("  "), 0, 0);
        for (const QString& alternative : usageColumn.split(QStringLiteral(" | "))) {
            const QStringList words = alternative.split(u' ', Qt::SkipEmptyParts);
            if (words.isEmpty()) {
                continue;
            }
            QStringList subcommands;
            if (words.size() > 1 && subcommand.match(words.at(1)).hasMatch()) {
                subcommands = words.at(1).split(u'|');
            } else {
                subcommands << QString();
            }
            for (const QString& sub : std::as_const(subcommands)) {
                const QString operation = control::operationName(
                    words.first(), sub.isEmpty() ? QStringList{} : QStringList{sub});
                QVERIFY2(
                    control::findOperation(operation),
                    qPrintable(
                        QStringLiteral("%1 (from: %2)").arg(operation, QString::fromUtf8(line))));
                seen << operation;
            }
        }
    }
    for (const char* expected : {"serve", "run", "fetch", "mcp", "budget set", "agent add",
                                 "approve", "deny", "pause", "resume", "node set", "ca export"}) {
        QVERIFY2(seen.contains(QLatin1String(expected)), expected);
    }
    // The brake needs no proof; loosening does.
    QCOMPARE(control::accessOf(QStringLiteral("pause")), control::Access::Brake);
    QCOMPARE(control::accessOf(QStringLiteral("deny")), control::Access::Brake);
    QCOMPARE(control::accessOf(QStringLiteral("resume")), control::Access::Owner);
    QCOMPARE(control::accessOf(QStringLiteral("no such command")), control::Access::Owner);
}

void TrustBoundaryTest::ownerCommandsWithoutProofAreRefusedAndChangeNothing()
{
    // alice's payment waits for the owner.
    const QString quote = m_world->api().url(QStringLiteral("/v1/quote")).toString();
    QProcess waiting;
    QProcessEnvironment alice = QProcessEnvironment::systemEnvironment();
    alice.insert(QStringLiteral("L402_WALLET_AGENT"), m_alice);
    alice.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    waiting.setProcessEnvironment(alice);
    waiting.start(QStringLiteral(L402_WALLET_EXECUTABLE),
                  {QStringLiteral("--data-dir"), m_world->dataDir(), QStringLiteral("fetch"),
                   QStringLiteral("-q"), quote});
    const QString id = waitForApproval();
    QVERIFY(!id.isEmpty());
    const int sendsBefore = m_world->lnd().totalSendCalls();
    const QByteArray before = snapshot();
    QVERIFY2(!before.startsWith("read failed"), before.constData());

    const QString exported = m_world->path(QStringLiteral("exported-ca.pem"));
    const QList<QStringList> ownerCommands{
        {QStringLiteral("approve"), id, QStringLiteral("--remember"), QStringLiteral("always")},
        {QStringLiteral("budget"), QStringLiteral("set"), QStringLiteral("*"),
         QStringLiteral("--mode"), QStringLiteral("auto"), QStringLiteral("--daily"),
         QStringLiteral("99999999")},
        {QStringLiteral("budget"), QStringLiteral("remove"), QStringLiteral("127.0.0.1"),
         QStringLiteral("--agent"), QStringLiteral("alice")},
        {QStringLiteral("agent"), QStringLiteral("add"), QStringLiteral("mallory")},
        {QStringLiteral("agent"), QStringLiteral("remove"), QStringLiteral("bob")},
        {QStringLiteral("agent"), QStringLiteral("resume"), QStringLiteral("bob")},
        {QStringLiteral("tokens"), QStringLiteral("remove"), QStringLiteral("127.0.0.1")},
        {QStringLiteral("ca"), QStringLiteral("export"), exported},
        {QStringLiteral("resume")},
    };
    for (const QStringList& command : ownerCommands) {
        const auto refused = agentShell(QStringList{QStringLiteral("--json")} + command);
        QVERIFY2(refused.exitCode != 0, qPrintable(command.join(u' ')));
        QCOMPARE(errorCode(refused), QStringLiteral("owner_confirmation_required"));
        // One clear line on stderr.
        QCOMPARE(refused.err.count('\n'), 1);
        QVERIFY2(refused.err.contains("owner command"), refused.err.constData());
    }
    // node set does not go through the socket: the running wallet holds the data folder.
    const auto nodeSet =
        agentShell({QStringLiteral("node"), QStringLiteral("set"), QStringLiteral("--uri"),
                    QStringLiteral("lndconnect://127.0.0.1:1?macaroon=AA")});
    QVERIFY(nodeSet.exitCode != 0);
    QVERIFY(!QFile::exists(exported));
    QCOMPARE(snapshot(), before);
    QCOMPARE(m_world->lnd().totalSendCalls(), sendsBefore);

    // The brake needs no proof: deny works, and the waiting fetch pays nothing.
    QCOMPARE(agentShell({QStringLiteral("deny"), id}).exitCode, 0);
    QVERIFY(QTest::qWaitFor([&] { return waiting.state() == QProcess::NotRunning; }, 30'000));
    QVERIFY(waiting.exitCode() != 0);
    QCOMPARE(m_world->lnd().totalSendCalls(), sendsBefore);
}

void TrustBoundaryTest::forgedSocketMessagesGetTheSame()
{
    const QByteArray before = snapshot();
    const QList<QJsonObject> forged{
        {{QStringLiteral("cmd"), QStringLiteral("approve")},
         {QStringLiteral("id"), QStringLiteral("00000000")},
         {QStringLiteral("remember"), QStringLiteral("always")}},
        {{QStringLiteral("cmd"), QStringLiteral("run")},
         {QStringLiteral("command"), QStringLiteral("budget")},
         {QStringLiteral("arguments"),
          QJsonArray{QStringLiteral("set"), QStringLiteral("*"), QStringLiteral("--mode"),
                     QStringLiteral("auto")}}},
        {{QStringLiteral("cmd"), QStringLiteral("run")},
         {QStringLiteral("command"), QStringLiteral("agent")},
         {QStringLiteral("arguments"),
          QJsonArray{QStringLiteral("add"), QStringLiteral("mallory")}}},
        // A command the table does not know is an owner's, not a free one.
        {{QStringLiteral("cmd"), QStringLiteral("run")},
         {QStringLiteral("command"), QStringLiteral("settings")},
         {QStringLiteral("arguments"), QJsonArray{QStringLiteral("set")}}},
        {{QStringLiteral("cmd"), QStringLiteral("set-owner-pin")},
         {QStringLiteral("pin"), QStringLiteral("123456")}},
        // Claiming an agent name is no proof of being the owner.
        {{QStringLiteral("cmd"), QStringLiteral("run")},
         {QStringLiteral("command"), QStringLiteral("resume")},
         {QStringLiteral("arguments"), QJsonArray{}},
         {QStringLiteral("agent_credential"), m_alice}},
    };
    for (const QJsonObject& request : forged) {
        const QJsonObject answer = raw(request);
        QVERIFY2(!answer.value(QLatin1String("ok")).toBool(),
                 QJsonDocument(request).toJson().constData());
        QCOMPARE(
            answer.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
            QStringLiteral("owner_confirmation_required"));
    }
    // A wrong secret is not a proof either (and counts against the rate limit).
    QJsonObject wrong = forged.at(1);
    wrong.insert(QStringLiteral("proof"),
                 QJsonObject{{QStringLiteral("secret"), QStringLiteral("guess")}});
    QCOMPARE(
        raw(wrong).value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
        QStringLiteral("owner_proof_wrong"));
    // Reads are free.
    const QJsonObject list = raw({{QStringLiteral("cmd"), QStringLiteral("run")},
                                  {QStringLiteral("command"), QStringLiteral("budget")},
                                  {QStringLiteral("arguments"), QJsonArray{QStringLiteral("list")}},
                                  {QStringLiteral("json"), true}});
    QVERIFY(list.value(QLatin1String("ok")).toBool());
    QCOMPARE(snapshot(), before);

    // pay and credential: no credential, a wrong one, another agent's name.
    const QJsonObject context{
        {QStringLiteral("origin"), m_world->api().url(QStringLiteral("/")).toString()},
        {QStringLiteral("path"), QStringLiteral("/v1/quote")},
        {QStringLiteral("agent"), QStringLiteral("bob")}};
    const QJsonObject noCredential = raw({{QStringLiteral("cmd"), QStringLiteral("pay")},
                                          {QStringLiteral("context"), context},
                                          {QStringLiteral("www_authenticate"), QJsonArray{}}});
    QCOMPARE(noCredential.value(QLatin1String("error"))
                 .toObject()
                 .value(QLatin1String("code"))
                 .toString(),
             QStringLiteral("agent_credential_required"));
    const QJsonObject wrongSecret =
        raw({{QStringLiteral("cmd"), QStringLiteral("pay")},
             {QStringLiteral("agent_credential"), QStringLiteral("bob:not-the-secret")},
             {QStringLiteral("context"), context},
             {QStringLiteral("www_authenticate"), QJsonArray{}}});
    QCOMPARE(wrongSecret.value(QLatin1String("error"))
                 .toObject()
                 .value(QLatin1String("code"))
                 .toString(),
             QStringLiteral("agent_unknown"));

    // A proven agent's limits that are no amounts: 2^63-1 msat of routing fee (which once
    // reached a sum), a negative, a fraction, a string. Refused as bad_request, nothing sent.
    const int sends = m_world->lnd().totalSendCalls();
    for (const auto& [field, bad] :
         {std::pair{QStringLiteral("max_fee_msat"), QJsonValue(9223372036854775807.0)},
          std::pair{QStringLiteral("max_fee_msat"), QJsonValue(-5)},
          std::pair{QStringLiteral("max_cost_msat"), QJsonValue(1.5)},
          std::pair{QStringLiteral("max_cost_msat"), QJsonValue(QStringLiteral("21000"))},
          std::pair{QStringLiteral("max_cost_msat"), QJsonValue(2.1e18 + 4096)}}) {
        QJsonObject limited = context;
        limited.insert(field, bad);
        const QJsonObject answer = raw({{QStringLiteral("cmd"), QStringLiteral("pay")},
                                        {QStringLiteral("agent_credential"), m_bob},
                                        {QStringLiteral("context"), limited},
                                        {QStringLiteral("www_authenticate"), QJsonArray{}}});
        QCOMPARE(
            answer.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
            QStringLiteral("bad_request"));
    }
    QCOMPARE(m_world->lnd().totalSendCalls(), sends);
}

void TrustBoundaryTest::agentsSpendOnlyAsThemselves()
{
    const QString quote = m_world->api().url(QStringLiteral("/v1/quote")).toString();
    const int sends = m_world->lnd().totalSendCalls();
    const auto none = agentShell({QStringLiteral("--json"), QStringLiteral("fetch"), quote});
    QVERIFY(none.exitCode != 0);
    QCOMPARE(errorCode(none), QStringLiteral("agent_credential_required"));
    QCOMPARE(none.err.count('\n'), 1);
    QVERIFY2(none.err.contains("L402_WALLET_AGENT"), none.err.constData());

    QProcessEnvironment wrong;
    wrong.insert(QStringLiteral("L402_WALLET_AGENT"), QStringLiteral("bob:not-the-secret"));
    const auto wrongSecret =
        agentShell({QStringLiteral("--json"), QStringLiteral("fetch"), quote}, wrong);
    QVERIFY(wrongSecret.exitCode != 0);
    QCOMPARE(errorCode(wrongSecret), QStringLiteral("agent_unknown"));

    // The old way to claim a name: refused, and says what to do instead.
    QProcessEnvironment tester;
    tester.insert(QStringLiteral("L402_WALLET_AGENT"), m_world->agentCredential());
    const auto claimed = agentShell(
        {QStringLiteral("fetch"), QStringLiteral("--agent"), QStringLiteral("bob"), quote}, tester);
    QCOMPARE(claimed.exitCode, 64);
    QVERIFY2(claimed.err.contains("L402_WALLET_AGENT"), claimed.err.constData());

    // mcp without a credential does not start.
    const auto mcp = agentShell({QStringLiteral("mcp")});
    QVERIFY(mcp.exitCode != 0);
    QVERIFY2(mcp.err.contains("L402_WALLET_AGENT"), mcp.err.constData());
    // ...nor with a credential that proves nobody.
    const auto mcpWrong = agentShell({QStringLiteral("--json"), QStringLiteral("mcp")}, wrong);
    QVERIFY(mcpWrong.exitCode != 0);
    QCOMPARE(errorCode(mcpWrong), QStringLiteral("agent_unknown"));
    QCOMPARE(m_world->lnd().totalSendCalls(), sends);

    // The credential's agent is who pays, whatever the request says.
    QProcessEnvironment bob;
    bob.insert(QStringLiteral("L402_WALLET_AGENT"), m_bob);
    const auto bobPaid = agentShell({QStringLiteral("fetch"), QStringLiteral("-q"), quote}, bob);
    QVERIFY2(bobPaid.exitCode == 0, bobPaid.err.constData());
    QCOMPARE(m_world->lnd().totalSendCalls(), sends + 1);
    const QJsonArray history =
        QJsonDocument::fromJson(
            agentShell({QStringLiteral("--json"), QStringLiteral("history")}).out)
            .array();
    QVERIFY(!history.isEmpty());
    QCOMPARE(history.first().toObject().value(QLatin1String("agent")).toString(),
             QStringLiteral("bob"));
}

void TrustBoundaryTest::anAgentGetsOnlyItsOwnTokens()
{
    // bob bought a token for /v1/quote above. tester asks the socket for the credential of
    // that origin: none of its own, so nothing; bob gets his.
    const QString origin = m_world->api().url(QStringLiteral("/")).toString().chopped(1);
    auto credentialFor = [&](const QString& agent) {
        return raw({{QStringLiteral("cmd"), QStringLiteral("credential")},
                    {QStringLiteral("agent_credential"), agent},
                    {QStringLiteral("origin"), origin},
                    {QStringLiteral("path"), QStringLiteral("/v1/quote")}});
    };
    const QJsonObject bobs = credentialFor(m_bob);
    QVERIFY2(bobs.value(QLatin1String("ok")).toBool(), QJsonDocument(bobs).toJson().constData());
    QVERIFY2(bobs.value(QLatin1String("result"))
                 .toObject()
                 .value(QLatin1String("credential"))
                 .isObject(),
             QJsonDocument(bobs).toJson().constData());
    const QJsonObject testers = credentialFor(m_world->agentCredential());
    QVERIFY(testers.value(QLatin1String("ok")).toBool());
    QVERIFY(testers.value(QLatin1String("result"))
                .toObject()
                .value(QLatin1String("credential"))
                .isNull());
    const QJsonObject anonymous = raw({{QStringLiteral("cmd"), QStringLiteral("credential")},
                                       {QStringLiteral("origin"), origin},
                                       {QStringLiteral("path"), QStringLiteral("/v1/quote")}});
    QCOMPARE(
        anonymous.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString(),
        QStringLiteral("agent_credential_required"));

    // tester's fetch buys its own token rather than reusing bob's...
    const int sends = m_world->lnd().totalSendCalls();
    QProcessEnvironment tester;
    tester.insert(QStringLiteral("L402_WALLET_AGENT"), m_world->agentCredential());
    const QString quote = m_world->api().url(QStringLiteral("/v1/quote")).toString();
    const auto testerPaid =
        agentShell({QStringLiteral("fetch"), QStringLiteral("-q"), quote}, tester);
    QVERIFY2(testerPaid.exitCode == 0, testerPaid.err.constData());
    QCOMPARE(m_world->lnd().totalSendCalls(), sends + 1);
    // ...and reuses it next time.
    const auto reused = agentShell({QStringLiteral("fetch"), QStringLiteral("-q"), quote}, tester);
    QVERIFY2(reused.exitCode == 0, reused.err.constData());
    QCOMPARE(m_world->lnd().totalSendCalls(), sends + 1);

    // The token list names whose each token is, and shows no secret.
    const auto tokens = agentShell({QStringLiteral("--json"), QStringLiteral("tokens")});
    QCOMPARE(tokens.exitCode, 0);
    QStringList owners;
    for (const QJsonValue& token : QJsonDocument::fromJson(tokens.out).array()) {
        owners << token.toObject().value(QLatin1String("agent")).toString();
    }
    owners.sort();
    QCOMPARE(owners, (QStringList{QStringLiteral("bob"), QStringLiteral("tester")}));
    const QString bobsSecret = bobs.value(QLatin1String("result"))
                                   .toObject()
                                   .value(QLatin1String("credential"))
                                   .toObject()
                                   .value(QLatin1String("header_value"))
                                   .toString();
    QVERIFY(!bobsSecret.isEmpty());
    QVERIFY(!tokens.out.contains(bobsSecret.section(u':', 1).toUtf8()));
}

void TrustBoundaryTest::ownerProofTypedOnATerminalWorks()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    const QStringList block{QStringLiteral("--data-dir"),
                            m_world->dataDir(),
                            QStringLiteral("budget"),
                            QStringLiteral("set"),
                            QStringLiteral("blocked.example"),
                            QStringLiteral("--mode"),
                            QStringLiteral("block")};
    // Wrong three times: refused, nothing written.
    const TerminalRun wrong =
        runOnTerminal(block, environment, "passphrase or owner PIN: ", {"no", "nope", "still not"});
    QVERIFY2(wrong.exitCode != 0, wrong.screen.constData());
    QVERIFY2(wrong.screen.contains("Owner command: "), wrong.screen.constData());
    QVERIFY2(!snapshot().contains("blocked.example"), wrong.screen.constData());
    // Typed right: done. The secret never shows on the screen (echo is off).
    const TerminalRun right =
        runOnTerminal(block, environment, "passphrase or owner PIN: ", {QByteArray(kPassphrase)});
    QVERIFY2(right.exitCode == 0, right.screen.constData());
    QVERIFY(!right.screen.contains(kPassphrase));
    QVERIFY(snapshot().contains("blocked.example"));
}

void TrustBoundaryTest::aSecretFromAPipeIsNoProof()
{
    // The agent knows the passphrase is asked for and pipes it in: no terminal, no proof.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    const auto piped = runProgramServingEvents(
        QStringLiteral("setsid"),
        {QStringLiteral("-w"), QStringLiteral(L402_WALLET_EXECUTABLE), QStringLiteral("--json"),
         QStringLiteral("--data-dir"), m_world->dataDir(), QStringLiteral("budget"),
         QStringLiteral("remove"), QStringLiteral("blocked.example")},
        environment, QByteArray(kPassphrase) + '\n');
    QVERIFY(piped.exitCode != 0);
    QCOMPARE(errorCode(piped), QStringLiteral("owner_confirmation_required"));
    QVERIFY(snapshot().contains("blocked.example"));
}

void TrustBoundaryTest::anOwnerPinSetOnTheTerminalProvesTheOwner()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    // Setting the PIN is itself an owner command: typed twice, then proven by the passphrase.
    const TerminalRun set =
        runOnTerminal({QStringLiteral("--data-dir"), m_world->dataDir(),
                       QStringLiteral("owner-pin"), QStringLiteral("set")},
                      environment, {}, {"owner-pin-42", "owner-pin-42", QByteArray(kPassphrase)},
                      {"New owner PIN", "The same PIN again: ", "passphrase or owner PIN: "});
    QVERIFY2(set.exitCode == 0, set.screen.constData());
    QVERIFY(set.screen.contains("The owner PIN is set."));
    QVERIFY(!set.screen.contains("owner-pin-42"));
    // Now the PIN is a proof, typed like the passphrase; a pipe still is not.
    const QStringList block{QStringLiteral("--data-dir"),  m_world->dataDir(),
                            QStringLiteral("budget"),      QStringLiteral("set"),
                            QStringLiteral("pin.example"), QStringLiteral("--mode"),
                            QStringLiteral("block")};
    const TerminalRun byPin =
        runOnTerminal(block, environment, "passphrase or owner PIN: ", {"owner-pin-42"});
    QVERIFY2(byPin.exitCode == 0, byPin.screen.constData());
    QVERIFY(snapshot().contains("pin.example"));
    // Too short a PIN is refused before anything is sent.
    const TerminalRun tooShort =
        runOnTerminal({QStringLiteral("--data-dir"), m_world->dataDir(),
                       QStringLiteral("owner-pin"), QStringLiteral("set")},
                      environment, {}, {"12345", "12345", QByteArray(kPassphrase)},
                      {"New owner PIN", "The same PIN again: ", "passphrase or owner PIN: "});
    QVERIFY2(tooShort.exitCode != 0, tooShort.screen.constData());
    const TerminalRun oldPinStillWorks =
        runOnTerminal({QStringLiteral("--data-dir"), m_world->dataDir(), QStringLiteral("budget"),
                       QStringLiteral("remove"), QStringLiteral("pin.example")},
                      environment, "passphrase or owner PIN: ", {"owner-pin-42"});
    QVERIFY2(oldPinStillWorks.exitCode == 0, oldPinStillWorks.screen.constData());
}

void TrustBoundaryTest::runHidesTheWalletFromTheAgent()
{
    if (QStandardPaths::findExecutable(QStringLiteral("bwrap")).isEmpty()) {
        QFAIL("bubblewrap is not installed (installers/install-deps.sh installs it)");
    }
    // A session bus like a desktop's, at $XDG_RUNTIME_DIR/bus: the keyring's way in.
    QTemporaryDir runtime(outsideTmp() + QStringLiteral("/runtime-XXXXXX"));
    QTemporaryDir home(outsideTmp() + QStringLiteral("/home-XXXXXX"));
    QTemporaryDir project(outsideTmp() + QStringLiteral("/project-XXXXXX"));
    QVERIFY(runtime.isValid() && home.isValid() && project.isValid());
    QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".local/share/keyrings")));
    QFile keyring(home.filePath(QStringLiteral(".local/share/keyrings/login.keyring")));
    QVERIFY(keyring.open(QIODevice::WriteOnly) && keyring.write("keyring") == 7);
    keyring.close();
    const QString busAddress =
        QStringLiteral("unix:path=") + runtime.filePath(QStringLiteral("bus"));
    QProcess bus;
    bus.start(QStringLiteral("dbus-daemon"),
              {QStringLiteral("--session"), QStringLiteral("--nofork"),
               QStringLiteral("--address=") + busAddress});
    QVERIFY(bus.waitForStarted());
    auto stopBus = qScopeGuard([&] {
        bus.kill();
        bus.waitForFinished();
    });
    const QStringList listNames{QStringLiteral("--session"), QStringLiteral("--print-reply"),
                                QStringLiteral("--dest=org.freedesktop.DBus"),
                                QStringLiteral("/org/freedesktop/DBus"),
                                QStringLiteral("org.freedesktop.DBus.ListNames")};
    QProcessEnvironment outside = QProcessEnvironment::systemEnvironment();
    outside.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), busAddress);
    QVERIFY(QTest::qWaitFor(
        [&] {
            return runProgramServingEvents(QStringLiteral("dbus-send"), listNames, outside)
                       .exitCode == 0;
        },
        10'000));

    const QString dataDir = m_world->dataDir();
    const QString quote = m_world->api().url(QStringLiteral("/v1/quote")).toString();
    // What the child tries, each on a line of its own: "name: result".
    // The forged request: an owner command with the right passphrase as its proof.
    const QString forge = QStringLiteral(
        "import json, socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "s.connect(sys.argv[1])\n"
        "s.sendall(json.dumps({'cmd': 'run', 'command': 'budget', 'arguments': ['set', '*', "
        "'--mode', 'auto'], 'proof': {'secret': sys.argv[2]}}).encode() + b'\\n')\n"
        "print('forged:', json.loads(s.makefile().readline())['error']['code'])\n");
    // What the child tries, each on a line of its own: "name: result". The CLI inside finds
    // the wallet by L402_WALLET_HOME, which run sets.
    const QString probe =
        QStringLiteral(
            "echo \"data: $(ls -A '%1' | tr '\\n' ' ')\"\n"
            "test -e '%2/.local/share/keyrings/login.keyring' && echo 'keyring: visible' || echo "
            "'keyring: gone'\n"
            "DBUS_SESSION_BUS_ADDRESS='%3' dbus-send %4 >/dev/null 2>&1 && echo 'bus: reached' || "
            "echo 'bus: unreachable'\n"
            "'%5' approvals >/dev/null 2>&1 && echo 'cli read: yes' || echo 'cli read: no'\n"
            "'%5' --json tokens | python3 -c \"import json, sys; print('token agents:', "
            "sorted({t['agent'] for t in json.load(sys.stdin)}))\"\n"
            "'%5' --json history | python3 -c \"import json, sys; print('history agents:', "
            "sorted({p['agent'] for p in json.load(sys.stdin)}))\"\n"
            "'%5' --json budget set '*' --mode auto | grep -q owner_confirmation_required && echo "
            "'cli owner: refused'\n"
            "python3 -c \"$FORGE\" '%1/control.sock' '%7'\n"
            "'%5' fetch -q '%6' >/dev/null && echo 'fetch: yes' || echo 'fetch: no'\n"
            "printf '%s' \"$MCP_IN\" | '%5' mcp | grep -q structuredContent && echo 'mcp: yes'\n"
            "touch '%2/.bashrc' 2>/dev/null && echo 'home: writable' || echo 'home: read-only'\n"
            "touch ./made-inside && echo 'project: writable' || echo 'project: read-only'\n"
            "echo \"passphrase: ${L402_WALLET_PASSPHRASE:-unset}\"\n"
            "curl -sSf --proxy \"$HTTP_PROXY\" --noproxy '' '%6' >/dev/null && echo 'paid: yes' || "
            "echo 'paid: no'\n")
            .arg(dataDir, home.path(), busAddress, listNames.join(u' '),
                 QStringLiteral(L402_WALLET_EXECUTABLE), quote, QLatin1String(kPassphrase));
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.insert(QStringLiteral("L402_WALLET_PASSPHRASE"), QLatin1String(kPassphrase));
    environment.insert(QStringLiteral("L402_WALLET_AGENT"), m_world->agentCredential());
    environment.insert(QStringLiteral("HOME"), home.path());
    environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
    environment.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), busAddress);
    environment.insert(QStringLiteral("FORGE"), forge);
    // An MCP client's first words and one tool call, as `run -- l402-wallet mcp` gets them.
    environment.insert(
        QStringLiteral("MCP_IN"),
        QStringLiteral("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                       "\"protocolVersion\":\"2025-03-26\",\"capabilities\":{},\"clientInfo\":{"
                       "\"name\":\"probe\",\"version\":\"1\"}}}\n"
                       "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
                       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                       "\"name\":\"list_tokens\",\"arguments\":{}}}\n"));
    const QByteArray rulesBefore = snapshot();
    const int sends = m_world->lnd().totalSendCalls();
    QProcess run;
    run.setProcessEnvironment(environment);
    run.setWorkingDirectory(project.path());
    run.start(QStringLiteral(L402_WALLET_EXECUTABLE),
              {QStringLiteral("--data-dir"), dataDir, QStringLiteral("run"),
               QStringLiteral("--agent"), QStringLiteral("tester"), QStringLiteral("--"),
               QStringLiteral("sh"), QStringLiteral("-c"), probe});
    QVERIFY(run.waitForStarted());
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 60'000));
    const QByteArray seen = run.readAllStandardOutput();
    const QByteArray err = run.readAllStandardError();
    QVERIFY2(run.exitCode() == 0, QByteArray(seen + err).constData());
    for (const char* expected :
         {"data: control.sock \n", "keyring: gone", "bus: unreachable", "cli read: yes",
          "token agents: ['tester']", "history agents: ['tester']", "cli owner: refused",
          "forged: owner_confirmation_required", "fetch: yes", "home: read-only",
          "project: writable", "passphrase: unset", "paid: yes"}) {
        QVERIFY2(seen.contains(expected),
                 QByteArray(expected + QByteArray("\n") + seen + err).constData());
    }
    QVERIFY(QFile::exists(project.filePath(QStringLiteral("made-inside"))));
    // Outside, everything is where it was; the paid request went through the proxy as tester.
    QVERIFY(QFile::exists(control::ControlServer::socketPath(dataDir)));
    QVERIFY(m_world->lnd().totalSendCalls() <= sends + 1);
    QCOMPARE(snapshot(), rulesBefore);
    QVERIFY(runProgramServingEvents(QStringLiteral("dbus-send"), listNames, outside).exitCode == 0);
}

void TrustBoundaryTest::runOnlyProxyLeavesNoOtherWayOut()
{
    const QString quote = m_world->api().url(QStringLiteral("/v1/quote")).toString();
    QTemporaryDir project(outsideTmp() + QStringLiteral("/project-XXXXXX"));
    const QString probe =
        QStringLiteral("curl -sS --max-time 5 --noproxy '*' '%1' >/dev/null 2>&1 && echo 'direct: "
                       "reached' || echo 'direct: blocked'\n"
                       "curl -sSf --max-time 20 --proxy \"$HTTP_PROXY\" --noproxy '' '%1' "
                       ">/dev/null && echo 'proxy: yes' || echo 'proxy: no'\n")
            .arg(quote);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    environment.insert(QStringLiteral("L402_WALLET_AGENT"), m_world->agentCredential());
    QProcess run;
    run.setProcessEnvironment(environment);
    run.setWorkingDirectory(project.path());
    run.start(QStringLiteral(L402_WALLET_EXECUTABLE),
              {QStringLiteral("--data-dir"), m_world->dataDir(), QStringLiteral("run"),
               QStringLiteral("--only-proxy"), QStringLiteral("--"), QStringLiteral("sh"),
               QStringLiteral("-c"), probe});
    QVERIFY(run.waitForStarted());
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 60'000));
    const QByteArray seen = run.readAllStandardOutput() + run.readAllStandardError();
    QVERIFY2(seen.contains("direct: blocked"), seen.constData());
    QVERIFY2(seen.contains("proxy: yes"), seen.constData());

    // An agent credential that proves nobody starts nothing.
    environment.insert(QStringLiteral("L402_WALLET_AGENT"), QStringLiteral("tester:wrong"));
    run.setProcessEnvironment(environment);
    run.start(QStringLiteral(L402_WALLET_EXECUTABLE),
              {QStringLiteral("--data-dir"), m_world->dataDir(), QStringLiteral("run"),
               QStringLiteral("--"), QStringLiteral("sh"), QStringLiteral("-c"),
               QStringLiteral("echo started")});
    QVERIFY(run.waitForStarted());
    QVERIFY(QTest::qWaitFor([&] { return run.state() == QProcess::NotRunning; }, 30'000));
    QVERIFY(run.exitCode() != 0);
    QVERIFY(!run.readAllStandardOutput().contains("started"));
}

void TrustBoundaryTest::wrongProofsAreRateLimited()
{
    QJsonObject request{{QStringLiteral("cmd"), QStringLiteral("run")},
                        {QStringLiteral("command"), QStringLiteral("resume")},
                        {QStringLiteral("arguments"), QJsonArray{}},
                        {QStringLiteral("proof"),
                         QJsonObject{{QStringLiteral("secret"), QStringLiteral("guess")}}}};
    // Twelve guesses at once, each on its own connection, written before any is checked:
    // no more are tried than one by one would be (5 free), the rest are locked out.
    std::vector<std::unique_ptr<QLocalSocket>> sockets;
    for (int i = 0; i < 12; ++i) {
        auto socket = std::make_unique<QLocalSocket>();
        socket->connectToServer(control::ControlServer::socketPath(m_world->dataDir()));
        QVERIFY(socket->waitForConnected(2'000));
        socket->write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
        socket->flush();
        sockets.push_back(std::move(socket));
    }
    QStringList codes(int(sockets.size()));
    QVERIFY(QTest::qWaitFor(
        [&] {
            for (size_t i = 0; i < sockets.size(); ++i) {
                while (codes[int(i)].isEmpty() && sockets[i]->canReadLine()) {
                    const QJsonObject line = parse(sockets[i]->readLine());
                    if (!line.contains(QLatin1String("pending"))) {
                        codes[int(i)] = line.value(QLatin1String("error"))
                                            .toObject()
                                            .value(QLatin1String("code"))
                                            .toString();
                    }
                }
            }
            return !codes.contains(QString());
        },
        60'000));
    QVERIFY2(codes.contains(QStringLiteral("owner_proof_locked")), qPrintable(codes.join(u',')));
    QCOMPARE(codes.first(), QStringLiteral("owner_proof_wrong"));
    QVERIFY2(codes.count(QStringLiteral("owner_proof_wrong")) <= 5, qPrintable(codes.join(u',')));
    // While locked out, even the right secret is not tried.
    request.insert(QStringLiteral("proof"),
                   QJsonObject{{QStringLiteral("secret"), QLatin1String(kPassphrase)}});
    QCOMPARE(raw(request)
                 .value(QLatin1String("error"))
                 .toObject()
                 .value(QLatin1String("code"))
                 .toString(),
             QStringLiteral("owner_proof_locked"));
}

QTEST_GUILESS_MAIN(TrustBoundaryTest)
#include "TrustBoundaryTest.moc"
