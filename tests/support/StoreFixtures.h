#pragma once

#include "core/store/WalletStore.h"
#include "tests/support/ManualClock.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QEventLoop>
#include <QFile>
#include <QMap>
#include <QTimer>

namespace l402::test {

// Cheap Argon2 parameters so tests that unlock many times stay fast; production uses the
// defaults of KdfParameters.
inline store::KdfParameters fastKdf()
{
    return store::KdfParameters{256, 1, 1};
}

inline store::UnlockRequest passphraseRequest(const QString& dataDir, const QByteArray& passphrase)
{
    store::UnlockRequest request;
    request.dataDir = dataDir;
    request.passphrase.emplace(passphrase);
    request.newWalletKdf = fastKdf();
    return request;
}

// Runs openWallet and waits for its single callback (tests only: a nested loop with a
// deadline is fine here, never in product code).
inline Result<std::unique_ptr<store::WalletStore>>
openWalletAndWait(const store::UnlockRequest& request, store::SecretStore* keychain,
                  const Clock& clock, int timeoutMs = 30'000)
{
    // Shared with the callback, so a callback arriving after a timeout writes into live
    // memory rather than into this function's finished stack frame.
    struct State {
        std::optional<Result<std::unique_ptr<store::WalletStore>>> outcome;
        QEventLoop loop;
    };
    auto state = std::make_shared<State>();
    store::openWallet(request, keychain, clock,
                      [state](Result<std::unique_ptr<store::WalletStore>> result) {
                          state->outcome.emplace(std::move(result));
                          state->loop.quit();
                      });
    auto& outcome = state->outcome;
    if (!outcome) {
        QTimer::singleShot(timeoutMs, &state->loop, &QEventLoop::quit);
        state->loop.exec();
    }
    if (!outcome) {
        return Result<std::unique_ptr<store::WalletStore>>::failure(
            QStringLiteral("test_timeout"), QStringLiteral("openWallet never answered"));
    }
    return std::move(*outcome);
}

// Name -> sha256 of every file under `dir`, to prove an operation left files untouched.
inline QMap<QString, QByteArray> fileDigests(const QString& dir)
{
    QMap<QString, QByteArray> digests;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(QLatin1String("wallet.lock"))) {
            continue; // holds the pid of whoever opened last
        }
        QFile file(path);
        if (file.open(QIODevice::ReadOnly)) {
            digests.insert(path,
                           QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256));
        }
    }
    return digests;
}

} // namespace l402::test
