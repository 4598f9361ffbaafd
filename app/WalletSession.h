#pragma once

#include "app/CommandLine.h"
#include "core/payments/PaymentGateway.h"
#include "core/store/WalletStore.h"

#include <QJsonObject>

#include <functional>

namespace l402::app {

// For CLI data commands: `body` run with the unlocked wallet; `body` calls `finish(exitCode)`.
// Returns the exit code; unlock failures are reported the contract's way.
// Where the wallet is depends on who else has it:
// - a running wallet (serve or the window) holds the data folder, so the command is sent over
//   its control socket and runs there (runInHost), and its output printed here;
// - otherwise a QCoreApplication here unlocks it (keychain or passphrase) for `body`;
// - inside runInHost, `body` runs at once on the host's open wallet.
int runWithWallet(
    const GlobalOptions& options,
    const std::function<void(store::WalletStore& wallet, std::function<void(int)> finish)>& body);

// What fetch and mcp work with: a way to pay, and the wallet's data as the data commands'
// --json output ({"budget", {"list"}} gives budget list --json).
struct WalletAccess {
    payments::PaymentGateway& payments;
    std::function<Result<QJsonValue>(const QString& command, const QStringList& arguments)> query;
    // The running wallet's: its window (or `approve`) answers approvals.
    bool shared = false;
    // The agent the credential proved: every payment is this agent's, under its rules.
    QString agent;
};

// The agent credential fetch and mcp act with: `--agent-file FILE` (its first line) or the
// environment's L402_WALLET_AGENT, both `name:secret` as `agent add` printed it. Refused with
// agent_credential_required when neither is given: never a default identity.
Result<QByteArray> agentCredentialFrom(const QString& agentFile);

// For fetch and mcp. With a wallet running (the window or serve), everything goes through its
// control socket: its budgets and approvals, its one payment per site, nothing unlocked here.
// Otherwise the wallet is unlocked here, unresolved payments are settled, and nobody can
// answer approvals (a rule that asks is a deny that says so). `body` runs when ready.
// The agent credential is checked first (by the running wallet, or here against the wallet's
// agents); a wrong one is refused before anything is fetched.
int runWithWalletAccess(
    const GlobalOptions& options, const QByteArray& agentCredential,
    const std::function<void(WalletAccess& access, std::function<void(int)> finish)>& body);

// The running wallet's side of the above, for its control socket: runs the data command
// {"command", "arguments", "json"} on `wallet` and answers {"exit", "stdout", "stderr"}. Only
// commands that work on the wallet's data (history, tokens, budget, agent, ca).
// `proxyPort`: where the running proxy listens (what `agent add` tells the agent); 0: unknown.
QJsonObject runInHost(store::WalletStore& wallet, const QJsonObject& request,
                      quint16 proxyPort = 0);
// The proxy port agents are told: the running proxy's inside runInHost, else the default.
quint16 agentProxyPort();

} // namespace l402::app
