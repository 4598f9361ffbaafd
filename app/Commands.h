#pragma once

#include "app/CommandLine.h"
#include "core/util/Result.h"

#include <QJsonValue>

namespace l402::app {

// Exit codes shared by every command (fetch adds lnget's 2/3/4 on top).
enum ExitCode : int { kExitOk = 0, kExitError = 1, kExitUsage = 64 };

// Where the proxy listens unless `serve --listen` says otherwise.
inline constexpr quint16 kDefaultProxyPort = 8402;

// Where command output goes. Normally stdout and stderr; while an OutputCapture lives on this
// thread, into its buffers instead: the running wallet runs a data command for a CLI client of
// its control socket and sends the output back for the client to print.
void writeOut(const QByteArray& bytes);
void writeErr(const QByteArray& bytes);
class OutputCapture {
public:
    OutputCapture();
    ~OutputCapture();
    OutputCapture(const OutputCapture&) = delete;
    OutputCapture& operator=(const OutputCapture&) = delete;
    QByteArray out;
    QByteArray err;

private:
    OutputCapture* m_previous;
};

// Prints an error the way the contract says: one line on stderr, and with --json also
// {"error":{"code","message"}} on stdout. Returns `exitCode` for `return reportError(...)`.
int reportError(const GlobalOptions& options, const Error& error, int exitCode = kExitError);
void printJson(const QJsonValue& value);
// One line on stdout, with control characters a server or node sent made harmless.
void printLine(const QString& text);
// An Error with the code `usage` (exit 64 when reported).
Error usage(const QString& message);

// For every command that unlocks the wallet: no core dumps (they would hold the data key)
// and no ptrace attach by other processes of the same user.
void protectSecretsInMemory();

int runDecode(const GlobalOptions& options);
int runServe(const GlobalOptions& options);
int runNode(const GlobalOptions& options);
int runFetch(const GlobalOptions& options);
int runMcp(const GlobalOptions& options);
// history, tokens, budget, agent, env, pause, resume, approvals, approve, deny
int runDataCommand(const GlobalOptions& options);
// owner-pin set: the PIN typed twice on the terminal
int runOwnerPin(const GlobalOptions& options);
// run --agent NAME [--only-proxy] -- COMMAND...: an agent in a sandbox
int runAgentSandbox(const GlobalOptions& options);
#ifdef L402_WITH_GUI
int runGui(int& argc, char** argv, const GlobalOptions& options);
#endif

} // namespace l402::app
