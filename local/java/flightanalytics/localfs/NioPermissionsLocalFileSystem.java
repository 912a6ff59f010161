package flightanalytics.localfs;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's checksummed local file system (file://), for Spark sessions on this machine only
 * (local/spark_runtime.py sets it as fs.file.impl). Without Hadoop's native library, the raw local
 * file system sets the permission of every file and folder it creates by running a `chmod`
 * subprocess: a new process started by the driver JVM for each checkpoint file, changelog, .crc
 * file and output file. This one sets them with java.nio in the JVM instead.
 *
 * It stays a LocalFileSystem, because Hadoop casts the file:// file system to one
 * (FileSystem.getLocal): RocksDB's snapshot upload and S3A's upload buffers go through that cast,
 * and Hadoop's raw file system, used for speed before, broke both.
 */
public class NioPermissionsLocalFileSystem extends LocalFileSystem {

  public NioPermissionsLocalFileSystem() {
    super(new Raw());
  }

  /** The raw layer: Hadoop's, except for how a permission is set. */
  public static class Raw extends RawLocalFileSystem {
    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      if (permission.getStickyBit()) {
        super.setPermission(p, permission); // java.nio has no sticky bit
        return;
      }
      File file = pathToFile(p);
      Files.setPosixFilePermissions(file.toPath(), posix(permission.toShort()));
    }
  }

  /**
   * The POSIX permission set of the low nine bits of a mode (rwx for owner, group, others). From the
   * bits, not PosixFilePermissions.fromString(permission.toString()): Hadoop passes subclasses of
   * FsPermission (FsCreateModes) whose toString is not the nine-letter form.
   */
  static Set<PosixFilePermission> posix(short mode) {
    PosixFilePermission[] bits = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    for (int bit = 0; bit < bits.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(bits[bit]);
      }
    }
    return set;
  }
}
