#include "core/store/WalletStore.h"

#include "core/store/Schema.h"

namespace l402::store {

Result<std::unique_ptr<WalletStore>> WalletStore::open(std::unique_ptr<DataDirectory> directory,
                                                       crypto::SecureBytes dataKey,
                                                       const Clock& clock)
{
    using R = Result<std::unique_ptr<WalletStore>>;
    auto database = Database::open(directory->databasePath(), dataKey.view());
    if (!database) {
        return R(database.error());
    }
    if (auto migrated = Schema::migrate(*database.value()); !migrated) {
        return R(migrated.error());
    }
    std::unique_ptr<WalletStore> store(new WalletStore());
    store->m_directory = std::move(directory);
    store->m_database = std::move(database.value());
    store->m_ledger = std::make_unique<PaymentLedger>(*store->m_database, clock);
    store->m_dataKey = std::move(dataKey);
    return R(std::move(store));
}

Status WalletStore::changePassphrase(QByteArrayView newPassphrase, const KdfParameters& parameters)
{
    return store::changePassphrase(dataDir(), m_dataKey, newPassphrase, parameters);
}

void openWallet(const UnlockRequest& request, SecretStore* keychain, const Clock& clock,
                std::function<void(Result<std::unique_ptr<WalletStore>>)> done)
{
    using R = Result<std::unique_ptr<WalletStore>>;
    auto directory = DataDirectory::acquire(request.dataDir);
    if (!directory) {
        done(R(directory.error()));
        return;
    }
    auto held = std::make_shared<std::unique_ptr<DataDirectory>>(std::move(directory.value()));
    unlockDataKey(request, keychain, [held, &clock, done](Result<crypto::SecureBytes> key) mutable {
        if (!key) {
            // Release the folder lock now: copies of this callback may outlive
            // the call (thread-pool tasks), and must not keep the wallet held.
            held->reset();
            done(R(key.error()));
            return;
        }
        done(WalletStore::open(std::move(*held), std::move(key.value()), clock));
    });
}

} // namespace l402::store
