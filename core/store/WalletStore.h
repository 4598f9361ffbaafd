#pragma once

#include "core/crypto/SecureBytes.h"
#include "core/store/DataDirectory.h"
#include "core/store/Database.h"
#include "core/store/PaymentLedger.h"
#include "core/store/WalletKey.h"
#include "core/util/Clock.h"

#include <functional>
#include <memory>

namespace l402::store {

// The open wallet: the locked data folder, the unlocked encrypted database at the latest
// schema, and the repositories on top. Destroying it (or lock()) closes the database and
// scrubs the key; unlocking again goes through openWallet().
class WalletStore {
public:
    // Opens with an already unlocked data key (tests, and the end of openWallet()).
    static Result<std::unique_ptr<WalletStore>> open(std::unique_ptr<DataDirectory> directory,
                                                     UnlockedKey key, const Clock& clock);

    Database& database() { return *m_database; }
    PaymentLedger& ledger() { return *m_ledger; }
    const QString& dataDir() const { return m_directory->path(); }

    // Re-wraps the data key under a new passphrase; the database is not re-encrypted.
    Status changePassphrase(QByteArrayView newPassphrase, const KdfParameters& parameters = {});

private:
    WalletStore() = default;
    std::unique_ptr<DataDirectory> m_directory;
    std::unique_ptr<Database> m_database;
    std::unique_ptr<PaymentLedger> m_ledger;
    crypto::SecureBytes m_dataKey;
};

// The whole unlock sequence: lock the data folder (one process at a time), obtain the data
// key (keychain or passphrase, creating a new wallet on first use), open and migrate the
// database. `done` is called exactly once, possibly before this returns.
void openWallet(const UnlockRequest& request, SecretStore* keychain, const Clock& clock,
                std::function<void(Result<std::unique_ptr<WalletStore>>)> done);

} // namespace l402::store
