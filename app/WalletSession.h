#pragma once

#include "app/CommandLine.h"
#include "core/store/WalletStore.h"

#include <functional>

namespace l402::app {

// For CLI data commands: a QCoreApplication, the wallet unlocked (keychain or passphrase) and
// `body` run with it. `body` calls `finish(exitCode)` when its asynchronous work is done.
// Returns the exit code; unlock failures are reported the contract's way.
int runWithWallet(
    const GlobalOptions& options,
    const std::function<void(store::WalletStore& wallet, std::function<void(int)> finish)>& body);

} // namespace l402::app
