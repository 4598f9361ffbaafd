#include "core/store/WalletKey.h"

#include "core/crypto/Digest.h"
#include "core/store/DataDirectory.h"
#include "core/store/Database.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QThreadPool>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace l402::store {
namespace {

constexpr int kFormatVersion = 1;
constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;
constexpr int kKeySize = 32;
const QByteArray kAssociatedData = QByteArrayLiteral("l402-wallet data key v1");

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Result<crypto::SecureBytes> deriveKey(QByteArrayView passphrase, QByteArrayView salt,
                                      const KdfParameters& kdf)
{
    QByteArray out(kKeySize, Qt::Uninitialized);
    const int code =
        argon2id_hash_raw(kdf.iterations, kdf.memoryKiB, kdf.parallelism, passphrase.data(),
                          static_cast<size_t>(passphrase.size()), salt.data(),
                          static_cast<size_t>(salt.size()), out.data(), kKeySize);
    if (code != ARGON2_OK) {
        return Result<crypto::SecureBytes>::failure(
            QLatin1String(key_error::kKeyFileInvalid),
            QStringLiteral("Deriving the key from the passphrase failed: %1")
                .arg(QLatin1String(argon2_error_message(code))));
    }
    crypto::SecureBytes key(out);
    crypto::scrub(out);
    return key;
}

// AES-256-GCM; `encrypt` false decrypts and checks the tag.
Result<QByteArray> aesGcm(bool encrypt, QByteArrayView key, QByteArrayView nonce,
                          QByteArrayView aad, QByteArrayView input, QByteArrayView tag = {})
{
    CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    const auto* n = reinterpret_cast<const unsigned char*>(nonce.data());
    QByteArray output(input.size() + kTagSize, Qt::Uninitialized);
    int length = 0;
    int total = 0;
    const bool initialised =
        encrypt ? EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, k, n) == 1
                : EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, k, n) == 1;
    auto update = [&](unsigned char* out, const char* in, qsizetype size) {
        return encrypt ? EVP_EncryptUpdate(context.get(), out, &length,
                                           reinterpret_cast<const unsigned char*>(in),
                                           static_cast<int>(size)) == 1
                       : EVP_DecryptUpdate(context.get(), out, &length,
                                           reinterpret_cast<const unsigned char*>(in),
                                           static_cast<int>(size)) == 1;
    };
    bool ok = initialised && update(nullptr, aad.data(), aad.size()) &&
              update(reinterpret_cast<unsigned char*>(output.data()), input.data(), input.size());
    total = length;
    if (ok && !encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                                 const_cast<char*>(tag.data())) == 1;
    }
    if (ok) {
        ok = encrypt ? EVP_EncryptFinal_ex(context.get(),
                                           reinterpret_cast<unsigned char*>(output.data()) + total,
                                           &length) == 1
                     : EVP_DecryptFinal_ex(context.get(),
                                           reinterpret_cast<unsigned char*>(output.data()) + total,
                                           &length) == 1;
        total += length;
    }
    if (ok && encrypt) {
        ok = EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                                 output.data() + total) == 1;
        total += kTagSize;
    }
    if (!ok) {
        crypto::scrub(output);
        return Result<QByteArray>::failure(QLatin1String(key_error::kWrongPassphrase),
                                           QStringLiteral("The passphrase is wrong."));
    }
    output.truncate(total);
    return output;
}

QString b64(const QByteArray& bytes)
{
    return QString::fromLatin1(bytes.toBase64());
}
QByteArray unb64(const QJsonValue& value)
{
    return QByteArray::fromBase64(value.toString().toLatin1());
}

// Runs `work` (Argon2id: a few hundred milliseconds, by design) on the thread pool and hands
// its result to `done` on the calling thread's event loop, so a GUI never freezes on it.
void offThread(std::function<Result<UnlockedKey>()> work,
               std::function<void(Result<UnlockedKey>)> done)
{
    // A pool whose threads end as soon as they are idle: OpenSSL frees a thread's state when
    // the thread exits, so none is left behind when the process does.
    static QThreadPool* const pool = [] {
        auto* created = new QThreadPool();
        created->setExpiryTimeout(0);
        created->setMaxThreadCount(2);
        return created;
    }();
    auto* context = new QObject(); // lives on the calling thread; receives the result there
    pool->start([work, done, context] {
        auto result = std::make_shared<Result<UnlockedKey>>(work());
        OPENSSL_thread_stop(); // free this thread's OpenSSL state now, not at some exit
        QMetaObject::invokeMethod(
            context,
            [result, done, context] {
                done(std::move(*result));
                context->deleteLater();
            },
            Qt::QueuedConnection);
    });
}

// A random name per wallet: two wallets never share a keychain entry, so creating one can
// never overwrite the key of another (a renamed or copied data folder, a late write).
QString newKeychainEntry()
{
    return QStringLiteral("database-key/") + QString::fromLatin1(crypto::randomBytes(16).toHex());
}

// What the AES-GCM tag also authenticates: the format and every KDF parameter, so a tampered
// wallet.key is detected rather than used with other parameters.
QByteArray associatedData(const KdfParameters& kdf, const QByteArray& salt)
{
    return kAssociatedData + '|' + QByteArray::number(kdf.memoryKiB) + '|' +
           QByteArray::number(kdf.iterations) + '|' + QByteArray::number(kdf.parallelism) + '|' +
           salt.toHex();
}

} // namespace

Result<std::optional<KeyFile>> KeyFile::load(const QString& dataDir)
{
    using R = Result<std::optional<KeyFile>>;
    QFile file(dataDir + QLatin1Char('/') + fileName());
    if (!file.exists()) {
        return std::optional<KeyFile>();
    }
    const auto invalid = [] {
        return R::failure(QLatin1String(key_error::kKeyFileInvalid),
                          QStringLiteral("wallet.key is damaged; the wallet cannot be unlocked."));
    };
    if (!file.open(QIODevice::ReadOnly)) {
        return R::failure(QLatin1String(key_error::kKeyFileInvalid),
                          QStringLiteral("Cannot read wallet.key."));
    }
    const QJsonObject json = QJsonDocument::fromJson(file.read(64 * 1024)).object();
    if (json.value(QStringLiteral("version")).toInt() != kFormatVersion) {
        return invalid();
    }
    KeyFile key;
    key.m_sqlcipherMajor = json.value(QStringLiteral("sqlcipher_major")).toInt();
    const QString mode = json.value(QStringLiteral("mode")).toString();
    if (mode == QLatin1String("keychain")) {
        key.m_mode = Mode::Keychain;
        key.m_keychainEntry = json.value(QStringLiteral("keychain_entry")).toString();
        if (key.m_keychainEntry.isEmpty()) {
            return invalid();
        }
        return std::optional(key);
    }
    if (mode != QLatin1String("passphrase")) {
        return invalid();
    }
    key.m_mode = Mode::Passphrase;
    const QJsonObject kdf = json.value(QStringLiteral("kdf")).toObject();
    if (kdf.value(QStringLiteral("name")).toString() != QLatin1String("argon2id")) {
        return invalid();
    }
    key.m_kdf.memoryKiB =
        static_cast<uint32_t>(kdf.value(QStringLiteral("memory_kib")).toInteger());
    key.m_kdf.iterations =
        static_cast<uint32_t>(kdf.value(QStringLiteral("iterations")).toInteger());
    key.m_kdf.parallelism =
        static_cast<uint32_t>(kdf.value(QStringLiteral("parallelism")).toInteger());
    key.m_salt = unb64(kdf.value(QStringLiteral("salt")));
    const QJsonObject wrapped = json.value(QStringLiteral("wrapped_key")).toObject();
    key.m_nonce = unb64(wrapped.value(QStringLiteral("nonce")));
    key.m_ciphertext = unb64(wrapped.value(QStringLiteral("ciphertext")));
    // Bounds keep a tampered file from asking Argon2 for absurd memory or time.
    if (key.m_salt.size() < 16 || key.m_nonce.size() != kNonceSize ||
        key.m_ciphertext.size() != kKeySize + kTagSize || key.m_kdf.memoryKiB < 8 ||
        key.m_kdf.memoryKiB > 1024 * 1024 || key.m_kdf.iterations < 1 ||
        key.m_kdf.iterations > 20 || key.m_kdf.parallelism < 1 || key.m_kdf.parallelism > 16) {
        return invalid();
    }
    return std::optional(key);
}

Status KeyFile::save(const QString& dataDir) const
{
    QJsonObject json{{QStringLiteral("version"), kFormatVersion},
                     {QStringLiteral("sqlcipher_major"), m_sqlcipherMajor}};
    if (m_mode == Mode::Keychain) {
        json.insert(QStringLiteral("mode"), QStringLiteral("keychain"));
        json.insert(QStringLiteral("keychain_entry"), m_keychainEntry);
    } else {
        json.insert(QStringLiteral("mode"), QStringLiteral("passphrase"));
        json.insert(QStringLiteral("kdf"),
                    QJsonObject{{QStringLiteral("name"), QStringLiteral("argon2id")},
                                {QStringLiteral("memory_kib"), qint64(m_kdf.memoryKiB)},
                                {QStringLiteral("iterations"), qint64(m_kdf.iterations)},
                                {QStringLiteral("parallelism"), qint64(m_kdf.parallelism)},
                                {QStringLiteral("salt"), b64(m_salt)}});
        json.insert(QStringLiteral("wrapped_key"),
                    QJsonObject{{QStringLiteral("cipher"), QStringLiteral("aes-256-gcm")},
                                {QStringLiteral("nonce"), b64(m_nonce)},
                                {QStringLiteral("ciphertext"), b64(m_ciphertext)}});
    }
    return DataDirectory::writeFileAtomically(dataDir + QLatin1Char('/') + fileName(),
                                              QJsonDocument(json).toJson());
}

Result<KeyFile> KeyFile::wrapWithPassphrase(const crypto::SecureBytes& dataKey,
                                            QByteArrayView passphrase,
                                            const KdfParameters& parameters)
{
    KeyFile key;
    key.m_mode = Mode::Passphrase;
    key.m_sqlcipherMajor = Database::sqlcipherMajorVersion();
    key.m_kdf = parameters;
    key.m_salt = crypto::randomBytes(16);
    key.m_nonce = crypto::randomBytes(kNonceSize);
    auto wrappingKey = deriveKey(passphrase, key.m_salt, parameters);
    if (!wrappingKey) {
        return Result<KeyFile>(wrappingKey.error());
    }
    const QByteArray aad = associatedData(key.m_kdf, key.m_salt);
    auto ciphertext = aesGcm(true, wrappingKey->view(), key.m_nonce, aad, dataKey.view());
    if (!ciphertext) {
        return Result<KeyFile>(ciphertext.error());
    }
    key.m_ciphertext = ciphertext.value();
    return key;
}

KeyFile KeyFile::forKeychain(const QString& entry)
{
    KeyFile key;
    key.m_mode = Mode::Keychain;
    key.m_sqlcipherMajor = Database::sqlcipherMajorVersion();
    key.m_keychainEntry = entry;
    return key;
}

Result<crypto::SecureBytes> KeyFile::unwrapWithPassphrase(QByteArrayView passphrase) const
{
    auto wrappingKey = deriveKey(passphrase, m_salt, m_kdf);
    if (!wrappingKey) {
        return Result<crypto::SecureBytes>(wrappingKey.error());
    }
    const QByteArray aad = associatedData(m_kdf, m_salt);
    auto plain = aesGcm(false, wrappingKey->view(), m_nonce, aad,
                        QByteArrayView(m_ciphertext).first(kKeySize),
                        QByteArrayView(m_ciphertext).last(kTagSize));
    if (!plain) {
        return Result<crypto::SecureBytes>(plain.error());
    }
    crypto::SecureBytes key(plain.value());
    crypto::scrub(plain.value());
    return key;
}

void unlockDataKey(const UnlockRequest& request, SecretStore* keychain,
                   std::function<void(Result<UnlockedKey>)> done)
{
    using R = Result<UnlockedKey>;
    auto keyFile = KeyFile::load(request.dataDir);
    if (!keyFile) {
        done(R(keyFile.error()));
        return;
    }
    if (!keyFile.value()) {
        if (QFile::exists(DataDirectory::databasePath(request.dataDir))) {
            done(R::failure(QLatin1String(key_error::kKeyFileMissing),
                            QStringLiteral("wallet.key is missing next to an existing wallet "
                                           "database; restore it from a backup. Nothing was "
                                           "changed.")));
            return;
        }
        // A new wallet: a fresh random data key, kept by the passphrase or the keychain.
        crypto::SecureBytes dataKey(crypto::randomBytes(kKeySize));
        if (request.passphrase) {
            auto key = std::make_shared<crypto::SecureBytes>(std::move(dataKey));
            auto passphrase = std::make_shared<crypto::SecureBytes>(request.passphrase->clone());
            const QString dataDir = request.dataDir;
            const KdfParameters kdf = request.newWalletKdf;
            offThread(
                [key, passphrase, dataDir, kdf]() -> R {
                    auto wrapped = KeyFile::wrapWithPassphrase(*key, passphrase->view(), kdf);
                    if (!wrapped) {
                        return R(wrapped.error());
                    }
                    if (auto saved = wrapped->save(dataDir); !saved) {
                        return R(saved.error());
                    }
                    return R(UnlockedKey{key->clone(), true, wrapped->sqlcipherMajor()});
                },
                done);
            return;
        }
        const QString entry = newKeychainEntry();
        const QString dataDir = request.dataDir;
        auto shared = std::make_shared<crypto::SecureBytes>(std::move(dataKey));
        keychain->write(
            entry, shared->view().toByteArray(), [shared, entry, dataDir, done](Status written) {
                if (!written) {
                    Error error = written.error();
                    error.message +=
                        QStringLiteral(" Set L402_WALLET_PASSPHRASE or use "
                                       "--passphrase-file to protect the wallet with a "
                                       "passphrase instead.");
                    done(R(error));
                    return;
                }
                const KeyFile created = KeyFile::forKeychain(entry);
                if (auto saved = created.save(dataDir); !saved) {
                    done(R(saved.error()));
                    return;
                }
                done(R(UnlockedKey{std::move(*shared), true, created.sqlcipherMajor()}));
            });
        return;
    }
    const KeyFile& key = *keyFile.value();
    if (key.mode() == KeyFile::Mode::Passphrase) {
        if (!request.passphrase) {
            done(R::failure(QLatin1String(key_error::kPassphraseRequired),
                            QStringLiteral("This wallet is protected by a passphrase: set "
                                           "L402_WALLET_PASSPHRASE or use --passphrase-file.")));
            return;
        }
        auto passphrase = std::make_shared<crypto::SecureBytes>(request.passphrase->clone());
        offThread(
            [key, passphrase]() -> R {
                auto unwrapped = key.unwrapWithPassphrase(passphrase->view());
                if (!unwrapped) {
                    return R(unwrapped.error());
                }
                return R(UnlockedKey{std::move(unwrapped.value()), false, key.sqlcipherMajor()});
            },
            done);
        return;
    }
    const int sqlcipherMajor = key.sqlcipherMajor();
    keychain->read(key.keychainEntry(), [done, sqlcipherMajor](Result<QByteArray> secret) {
        if (!secret) {
            done(R(secret.error()));
            return;
        }
        if (secret->size() != kKeySize) {
            crypto::scrub(secret.value());
            done(R::failure(QLatin1String(key_error::kKeyFileInvalid),
                            QStringLiteral("The keychain entry for this wallet is not a key.")));
            return;
        }
        crypto::SecureBytes dataKey(secret.value());
        crypto::scrub(secret.value());
        done(R(UnlockedKey{std::move(dataKey), false, sqlcipherMajor}));
    });
}

Status changePassphrase(const QString& dataDir, const crypto::SecureBytes& dataKey,
                        QByteArrayView newPassphrase, const KdfParameters& parameters)
{
    if (newPassphrase.isEmpty()) {
        return Status::failure(QStringLiteral("empty_passphrase"),
                               QStringLiteral("The new passphrase is empty."));
    }
    auto wrapped = KeyFile::wrapWithPassphrase(dataKey, newPassphrase, parameters);
    if (!wrapped) {
        return Status(wrapped.error());
    }
    return wrapped->save(dataDir);
}

Result<std::optional<crypto::SecureBytes>> passphraseFromEnvironment(const QString& passphraseFile)
{
    using R = Result<std::optional<crypto::SecureBytes>>;
    if (!passphraseFile.isEmpty()) {
        QFile file(passphraseFile);
        if (!file.open(QIODevice::ReadOnly)) {
            return R::failure(
                QStringLiteral("passphrase_file"),
                QStringLiteral("Cannot read the passphrase file %1.").arg(passphraseFile));
        }
        QByteArray content = file.read(64 * 1024);
        const qsizetype newline = content.indexOf('\n');
        QByteArray line = content.left(newline < 0 ? content.size() : newline);
        if (line.endsWith('\r')) {
            line.chop(1);
        }
        crypto::scrub(content);
        if (line.isEmpty()) {
            return R::failure(QStringLiteral("passphrase_file"),
                              QStringLiteral("The passphrase file is empty."));
        }
        std::optional<crypto::SecureBytes> passphrase{crypto::SecureBytes(line)};
        crypto::scrub(line);
        return passphrase;
    }
    QByteArray fromEnvironment = qgetenv("L402_WALLET_PASSPHRASE");
    // /proc/<pid>/environ shows the process's original environment block, which unsetenv()
    // leaves as it was (it only drops the pointer): so the value is overwritten in place
    // first, then removed so child processes do not inherit it. Until this line runs, and to
    // anything that can ptrace this process, it was readable: --passphrase-file is better.
    if (char* inPlace = std::getenv("L402_WALLET_PASSPHRASE")) {
        OPENSSL_cleanse(inPlace, std::strlen(inPlace));
    }
    qunsetenv("L402_WALLET_PASSPHRASE");
    if (fromEnvironment.isEmpty()) {
        return std::optional<crypto::SecureBytes>();
    }
    std::optional<crypto::SecureBytes> passphrase{crypto::SecureBytes(fromEnvironment)};
    crypto::scrub(fromEnvironment);
    return passphrase;
}

} // namespace l402::store
