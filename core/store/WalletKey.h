#pragma once

#include "core/crypto/SecureBytes.h"
#include "core/store/SecretStore.h"
#include "core/util/Result.h"

#include <QString>

#include <functional>
#include <optional>

namespace l402::store {

namespace key_error {
inline constexpr auto kWrongPassphrase = "wrong_passphrase";
inline constexpr auto kPassphraseRequired = "passphrase_required";
inline constexpr auto kKeyFileMissing = "key_file_missing";
inline constexpr auto kKeyFileInvalid = "key_file_invalid";
} // namespace key_error

struct KdfParameters {
    // Argon2id at 64 MiB, 3 passes: the OWASP-recommended tier for interactive unlocks.
    uint32_t memoryKiB = 64 * 1024;
    uint32_t iterations = 3;
    uint32_t parallelism = 1;
};

// The wallet's data key is 256 random bits. It never depends on the passphrase: in
// passphrase mode it is wrapped (AES-256-GCM) with an Argon2id key, so changing the
// passphrase rewrites one small file and never re-encrypts the database; in keychain mode
// the keychain holds it. `wallet.key` (0600, JSON) records which, and holds no secret in
// the clear.
class KeyFile {
public:
    enum class Mode { Keychain, Passphrase };

    static QString fileName() { return QStringLiteral("wallet.key"); }
    static Result<std::optional<KeyFile>> load(const QString& dataDir);
    Status save(const QString& dataDir) const; // atomic replace, 0600

    static Result<KeyFile> wrapWithPassphrase(const crypto::SecureBytes& dataKey,
                                              QByteArrayView passphrase,
                                              const KdfParameters& parameters);
    static KeyFile forKeychain(const QString& entry);
    Result<crypto::SecureBytes> unwrapWithPassphrase(QByteArrayView passphrase) const;

    Mode mode() const { return m_mode; }
    // The SQLCipher major version that created the database (its page format); a later
    // SQLCipher opens it in that compatibility mode. 0 when unknown.
    int sqlcipherMajor() const { return m_sqlcipherMajor; }
    const QString& keychainEntry() const { return m_keychainEntry; }
    const KdfParameters& kdf() const { return m_kdf; }

private:
    Mode m_mode = Mode::Keychain;
    int m_sqlcipherMajor = 0;
    QString m_keychainEntry;
    KdfParameters m_kdf;
    QByteArray m_salt;
    QByteArray m_nonce;
    QByteArray m_ciphertext; // AES-256-GCM ciphertext || 16-byte tag
};

// How the user asked to unlock: a passphrase (env L402_WALLET_PASSPHRASE or
// --passphrase-file) or, when none is given, the OS keychain.
struct UnlockRequest {
    QString dataDir;
    std::optional<crypto::SecureBytes> passphrase;
    KdfParameters newWalletKdf; // used only when a new wallet is created
};

struct UnlockedKey {
    crypto::SecureBytes dataKey;
    bool created = false; // a new wallet: no database exists yet
    int sqlcipherMajor = 0;
};

// Produces the data key: loads or creates wallet.key, asks the keychain or unwraps with the
// passphrase. Calls `done` exactly once. A new wallet is created only when neither
// wallet.key nor the database exists, so a missing key file never silently replaces a key.
void unlockDataKey(const UnlockRequest& request, SecretStore* keychain,
                   std::function<void(Result<UnlockedKey>)> done);

// Re-wraps the data key under a new passphrase (passphrase mode), or moves a keychain wallet
// to passphrase mode. The database is not touched.
Status changePassphrase(const QString& dataDir, const crypto::SecureBytes& dataKey,
                        QByteArrayView newPassphrase, const KdfParameters& parameters);

// Reads a passphrase from --passphrase-file (first line, without the newline) or the
// L402_WALLET_PASSPHRASE environment variable (which is then removed from the process
// environment); nullopt when neither is set.
Result<std::optional<crypto::SecureBytes>> passphraseFromEnvironment(const QString& passphraseFile);

} // namespace l402::store
