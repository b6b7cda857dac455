// Package media turns uploaded photos into safe, stored images and removes
// them again in the background.
//
// An upload is streamed through a byte cap (413 the moment it is passed,
// nothing beyond the cap is ever held), its type is decided from its first
// bytes (JPEG, PNG and WebP only; anything else is 415 whatever its name or
// declared type), its dimensions are read from the header and checked
// against a pixel budget before any pixel is decoded (decompression bombs),
// and it is then decoded and re-encoded into a display size and a thumbnail.
// Re-encoding drops every metadata segment of the original, EXIF and GPS
// included; the EXIF orientation of JPEGs is applied first, so phone photos
// stay upright. Opaque images become JPEG, images with transparency PNG.
//
// Variants are stored through ocop.Blobs under server-generated keys
// ("images/<shard>/<uuid>-display.jpg"); GET /media/{name} serves them by
// the last segment. Objects are removed through the outbox topic
// media.delete, so a deletion decided in a transaction is never lost.
package media
