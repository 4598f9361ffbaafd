#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace l402::crypto {

// A small owned buffer for secrets (keys, preimages, passphrases) that is scrubbed with
// OPENSSL_cleanse when it is destroyed or reassigned. Copies are explicit: a secret should
// live in as few places as possible.
class SecureBytes {
public:
    SecureBytes() = default;
    explicit SecureBytes(QByteArrayView bytes);
    ~SecureBytes();

    SecureBytes(const SecureBytes&) = delete;
    SecureBytes& operator=(const SecureBytes&) = delete;
    SecureBytes(SecureBytes&& other) noexcept;
    SecureBytes& operator=(SecureBytes&& other) noexcept;

    SecureBytes clone() const { return SecureBytes(view()); }
    QByteArrayView view() const { return m_bytes; }
    const char* data() const { return m_bytes.constData(); }
    qsizetype size() const { return m_bytes.size(); }
    bool isEmpty() const { return m_bytes.isEmpty(); }
    void clear();

private:
    QByteArray m_bytes;
};

// Overwrites a QByteArray's buffer in place (only if it is not shared) and empties it.
void scrub(QByteArray& bytes);

} // namespace l402::crypto
