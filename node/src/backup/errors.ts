/** Errors of the backup layer (node/src/backup); rpc/error-map.ts gives each family its code. */
import { InvalidInputError } from '../errors.ts'
import { WrongPassphraseError } from '../storage/errors.ts'

/** The file is not a Wren backup, is damaged, cut off, or over a cap (INVALID_INPUT). */
export class BackupFormatError extends InvalidInputError {
  override name = 'BackupFormatError'
}

/** The backup's first frame does not open with this passphrase (WRONG_PASSPHRASE). */
export class WrongBackupPassphraseError extends WrongPassphraseError {
  override name = 'WrongBackupPassphraseError'
}
