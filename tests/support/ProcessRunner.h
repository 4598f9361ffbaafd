#pragma once

#include <QByteArray>
#include <QDeadlineTimer>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <functional>

namespace l402::test {

struct ProcessResult {
    int exitCode = -1;
    bool finished = false;
    QByteArray out;
    QByteArray err;
};

// Runs the built l402-wallet with none of the caller's wallet environment (home,
// passphrase) and returns what it printed; callers pass --data-dir for commands that use one.
inline ProcessResult runWallet(const QStringList& arguments, const QByteArray& input = {},
                               int timeoutMs = 30'000)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(L402_WALLET_EXECUTABLE), arguments);
    ProcessResult result;
    if (!process.waitForStarted(10'000)) {
        return result;
    }
    process.write(input);
    process.closeWriteChannel();
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5'000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

// Like runWallet, but keeps this process's event loop running while the child works, for
// children that talk to doubles served from this process (FakeLnd...).
inline ProcessResult runWalletServingEvents(const QStringList& arguments,
                                            const QProcessEnvironment& extra = {},
                                            int timeoutMs = 30'000,
                                            const std::function<void(qint64 pid)>& started = {})
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(QStringLiteral("L402_WALLET_HOME"));
    environment.remove(QStringLiteral("L402_WALLET_PASSPHRASE"));
    for (const QString& key : extra.keys()) {
        environment.insert(key, extra.value(key));
    }
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(L402_WALLET_EXECUTABLE), arguments);
    ProcessResult result;
    if (!process.waitForStarted(10'000)) {
        return result;
    }
    process.closeWriteChannel();
    if (started) {
        started(process.processId());
    }
    result.finished =
        QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5'000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

// Runs any program with this process's event loop serving meanwhile (clients such as curl,
// Python or Node talking to servers that live in the test process). `environment` replaces
// the whole environment when not empty.
inline ProcessResult runProgramServingEvents(const QString& program, const QStringList& arguments,
                                             const QProcessEnvironment& environment = {},
                                             const QByteArray& input = {}, int timeoutMs = 30'000)
{
    QProcess process;
    if (!environment.isEmpty()) {
        process.setProcessEnvironment(environment);
    }
    process.start(program, arguments);
    ProcessResult result;
    if (!process.waitForStarted(10'000)) {
        return result;
    }
    process.write(input);
    process.closeWriteChannel();
    result.finished =
        QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5'000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

// Polls `condition` until it holds or `timeoutMs` passes; for waiting on other processes,
// where no Qt signal exists to wait on.
template <typename Condition>
bool pollUntil(Condition condition, int timeoutMs, int intervalMs = 25)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (condition()) {
            return true;
        }
        QThread::msleep(static_cast<unsigned long>(intervalMs));
    }
    return condition();
}

} // namespace l402::test
