#include "core/policy/OwnerProof.h"

#include "core/crypto/Digest.h"
#include "core/store/Settings.h"
#include "core/store/WalletKey.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <argon2.h>

#include <algorithm>

namespace l402::policy {
namespace {

constexpr int kSaltBytes = 16;
constexpr int kHashBytes = 32;
constexpr int64_t kFirstWaitSeconds = 30;
constexpr int64_t kLongestWaitSeconds = 3600;
constexpr qsizetype kMinimumPinLength = 6;

// The PIN's hash: Argon2id with the unlock's parameters, so guessing a PIN from a stolen
// database costs what guessing the passphrase would.
std::optional<QByteArray> hashPin(QByteArrayView pin, QByteArrayView salt, uint32_t memoryKiB,
                                  uint32_t iterations)
{
    QByteArray out(kHashBytes, Qt::Uninitialized);
    if (argon2id_hash_raw(iterations, memoryKiB, 1, pin.data(), static_cast<size_t>(pin.size()),
                          salt.data(), static_cast<size_t>(salt.size()), out.data(),
                          kHashBytes) != ARGON2_OK) {
        return std::nullopt;
    }
    return out;
}

bool pinMatches(const QByteArray& record, QByteArrayView secret)
{
    const QJsonObject stored = QJsonDocument::fromJson(record).object();
    const QByteArray salt =
        QByteArray::fromBase64(stored.value(QLatin1String("salt")).toString().toLatin1());
    const QByteArray expected =
        QByteArray::fromBase64(stored.value(QLatin1String("hash")).toString().toLatin1());
    const auto memory = static_cast<uint32_t>(stored.value(QLatin1String("m")).toInt());
    const auto iterations = static_cast<uint32_t>(stored.value(QLatin1String("t")).toInt());
    if (salt.size() != kSaltBytes || expected.size() != kHashBytes || memory < 8 ||
        iterations < 1) {
        return false;
    }
    const auto hashed = hashPin(secret, salt, memory, iterations);
    return hashed && crypto::constantTimeEquals(*hashed, expected);
}

struct Failures {
    int count = 0;
    int64_t last = 0;
};

Failures parseFailures(const QString& text)
{
    const QStringList parts = text.split(u':');
    Failures failures;
    if (parts.size() == 2) {
        failures.count = std::max(0, parts.at(0).toInt());
        failures.last = parts.at(1).toLongLong();
    }
    return failures;
}

int64_t waitAfter(int failures)
{
    if (failures < OwnerProof::kFreeTries) {
        return 0;
    }
    const int doublings = std::min(failures - OwnerProof::kFreeTries, 10);
    return std::min<int64_t>(kFirstWaitSeconds << doublings, kLongestWaitSeconds);
}

} // namespace

OwnerProof::OwnerProof(store::Database& database, QString dataDir, const Clock& clock)
    : m_database(database)
    , m_dataDir(std::move(dataDir))
    , m_clock(clock)
{
}

Result<OwnerSecrets> OwnerProof::secrets()
{
    OwnerSecrets out;
    out.dataDir = m_dataDir;
    auto keyFile = store::KeyFile::load(m_dataDir);
    if (!keyFile) {
        return keyFile.error();
    }
    out.passphraseMode =
        keyFile.value() && keyFile.value()->mode() == store::KeyFile::Mode::Passphrase;
    auto pin = store::readSetting(m_database, QLatin1String(kOwnerPinSetting));
    if (!pin) {
        return pin.error();
    }
    out.pinRecord = pin->toUtf8();
    auto failuresText = store::readSetting(m_database, QLatin1String(kOwnerFailuresSetting));
    if (!failuresText) {
        return failuresText.error();
    }
    const Failures failures = parseFailures(failuresText.value());
    out.failures = failures.count;
    out.lockedUntil = failures.count >= kFreeTries ? failures.last + waitAfter(failures.count) : 0;
    return out;
}

QStringList OwnerProof::kinds(const OwnerSecrets& secrets)
{
    QStringList out;
    if (secrets.passphraseMode) {
        out << QStringLiteral("passphrase");
    }
    if (!secrets.pinRecord.isEmpty()) {
        out << QStringLiteral("pin");
    }
    return out;
}

bool OwnerProof::matches(const OwnerSecrets& secrets, QByteArrayView secret)
{
    if (secret.isEmpty()) {
        return false;
    }
    if (!secrets.pinRecord.isEmpty() && pinMatches(secrets.pinRecord, secret)) {
        return true;
    }
    if (secrets.passphraseMode) {
        auto keyFile = store::KeyFile::load(secrets.dataDir);
        if (keyFile && keyFile.value()) {
            return bool(keyFile.value()->unwrapWithPassphrase(secret));
        }
    }
    return false;
}

Status OwnerProof::mayTry(const OwnerSecrets& secrets) const
{
    const int64_t now = m_clock.nowSeconds();
    if (secrets.lockedUntil > now) {
        return Status::failure(QLatin1String(owner_error::kLockedOut),
                               QStringLiteral("Too many wrong owner proofs (%1 in a row): try "
                                              "again in %2 s.")
                                   .arg(secrets.failures)
                                   .arg(secrets.lockedUntil - now));
    }
    return success();
}

Status OwnerProof::record(bool matched)
{
    if (matched) {
        return store::writeSetting(m_database, QLatin1String(kOwnerFailuresSetting), QString());
    }
    auto text = store::readSetting(m_database, QLatin1String(kOwnerFailuresSetting));
    if (!text) {
        return text.error();
    }
    Failures failures = parseFailures(text.value());
    failures.count = std::min(failures.count + 1, 1000);
    failures.last = m_clock.nowSeconds();
    return store::writeSetting(m_database, QLatin1String(kOwnerFailuresSetting),
                               QStringLiteral("%1:%2").arg(failures.count).arg(failures.last));
}

Status OwnerProof::setPin(QByteArrayView pin)
{
    if (pin.size() < kMinimumPinLength) {
        return Status::failure(
            QStringLiteral("usage"),
            QStringLiteral("The owner PIN needs at least %1 characters.").arg(kMinimumPinLength));
    }
    const store::KdfParameters kdf;
    const QByteArray salt = crypto::randomBytes(kSaltBytes);
    const auto hashed = hashPin(pin, salt, kdf.memoryKiB, kdf.iterations);
    if (!hashed) {
        return Status::failure(QStringLiteral("internal"),
                               QStringLiteral("The owner PIN could not be hashed."));
    }
    const QJsonObject record{{QStringLiteral("v"), 1},
                             {QStringLiteral("salt"), QString::fromLatin1(salt.toBase64())},
                             {QStringLiteral("hash"), QString::fromLatin1(hashed->toBase64())},
                             {QStringLiteral("m"), qint64(kdf.memoryKiB)},
                             {QStringLiteral("t"), qint64(kdf.iterations)}};
    return store::writeSetting(
        m_database, QLatin1String(kOwnerPinSetting),
        QString::fromUtf8(QJsonDocument(record).toJson(QJsonDocument::Compact)));
}

bool OwnerProof::hasPin()
{
    auto pin = store::readSetting(m_database, QLatin1String(kOwnerPinSetting));
    return pin && !pin->isEmpty();
}

} // namespace l402::policy
