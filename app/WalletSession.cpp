#include "app/WalletSession.h"

#include "app/Commands.h"

#include <QCoreApplication>

namespace l402::app {

int runWithWallet(const GlobalOptions& options,
                  const std::function<void(store::WalletStore&, std::function<void(int)>)>& body)
{
    int argc = 1;
    char name[] = "l402-wallet";
    char* argv[] = {name, nullptr};
    QCoreApplication application(argc, argv);
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
    store::openWallet(request, &keychain, SystemClock::instance(),
                      [&](Result<std::unique_ptr<store::WalletStore>> opened) {
                          if (!opened) {
                              finish(reportError(options, opened.error()));
                              return;
                          }
                          wallet = std::move(opened.value());
                          body(*wallet, finish);
                      });
    if (!exitCode) {
        application.exec();
    }
    wallet.reset();
    return exitCode.value_or(kExitError);
}

} // namespace l402::app
