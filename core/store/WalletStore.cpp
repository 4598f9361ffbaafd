#include "core/store/WalletStore.h"

#include "core/store/Schema.h"

#include <QFileInfo>

namespace l402::store {

Result<std::unique_ptr<WalletStore>> WalletStore::open(std::unique_ptr<DataDirectory> directory,
                                                       UnlockedKey key, const Clock& clock)
{
    using R = Result<std::unique_ptr<WalletStore>>;
    // An existing wallet's database must be there and non-empty: SQLite would otherwise
    // quietly start a new, empty ledger (and forget in-flight payments) in its place.
    const QFileInfo file(directory->databasePath());
    if (!key.created && (!file.exists() || file.size() == 0)) {
        return R::failure(
            QLatin1String(store_error::kCorrupt),
            QStringLiteral("wallet.key exists but wallet.db is missing or empty in %1. "
                           "Restore wallet.db from a backup; if this wallet never "
                           "finished its first start, delete wallet.key instead.")
                .arg(directory->path()));
    }
    Database::Options options;
    options.cipherCompatibility = key.sqlcipherMajor;
    auto database = Database::open(directory->databasePath(), key.dataKey.view(), options);
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
    store->m_dataKey = std::move(key.dataKey);
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
    unlockDataKey(request, keychain, [held, &clock, done](Result<UnlockedKey> key) mutable {
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
