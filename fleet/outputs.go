package fleet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// ResultFile is the file a finished job's outputs end with: the job, what it did and the list of
// its files. It is stored last, so outputs with a result file are complete.
const ResultFile = "job.json"

// outputFiles lists the files under dir, as slash-separated relative paths.
func outputFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// storeObjects puts every file of dir into obs as "<id>/<file>" (the result file last), then
// deletes the objects under "<id>/" that an earlier try left and this one did not write. A redo
// therefore replaces the job's outputs instead of adding to them.
func storeObjects(ctx context.Context, obs jetstream.ObjectStore, id, dir string) error {
	files, err := outputFiles(dir)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrOutput, id, err)
	}
	keep := map[string]bool{}
	for _, f := range append(withoutResult(files), ResultFile) {
		name := id + "/" + f
		keep[name] = true
		if err := putFile(ctx, obs, name, filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			return err
		}
	}
	infos, err := obs.List(ctx)
	if err != nil && err != jetstream.ErrNoObjectsFound {
		return fmt.Errorf("%w: %s: list the bucket: %v", ErrOutput, id, err)
	}
	for _, info := range infos {
		if strings.HasPrefix(info.Name, id+"/") && !keep[info.Name] {
			if err := obs.Delete(ctx, info.Name); err != nil {
				return fmt.Errorf("%w: %s: delete stale %s: %v", ErrOutput, id, info.Name, err)
			}
		}
	}
	return nil
}

func putFile(ctx context.Context, obs jetstream.ObjectStore, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrOutput, err)
	}
	defer f.Close()
	if _, err := obs.Put(ctx, jetstream.ObjectMeta{Name: name}, f); err != nil {
		return fmt.Errorf("%w: store %s: %v", ErrOutput, name, err)
	}
	return nil
}

// withoutResult drops the result file from files (it is stored last).
func withoutResult(files []string) []string {
	out := files[:0:0]
	for _, f := range files {
		if f != ResultFile {
			out = append(out, f)
		}
	}
	return out
}

// publishDir moves a finished try's folder tmp to final, replacing what an earlier try left
// there. Both are in the same shared folder, so the moves are renames.
func publishDir(tmp, final string) error {
	old := final + ".old"
	os.RemoveAll(old)
	if err := os.Rename(final, old); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("%w: move the earlier outputs aside: %v", ErrOutput, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("%w: %v", ErrOutput, err)
	}
	os.RemoveAll(old)
	return nil
}

// FetchOutputs copies a job's objects ("<id>/…") from bucket into dir/<id>/ and returns the files
// written. Only a done job's outputs are complete (its result file is stored last).
func FetchOutputs(ctx context.Context, js jetstream.JetStream, bucket, id, dir string) ([]string, error) {
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("%w: no object store bucket %s: no job has stored outputs there (a job with an output folder writes there instead)", ErrOutput, bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: object store %s: %v", ErrNATS, bucket, err)
	}
	infos, err := obs.List(ctx)
	if err != nil && err != jetstream.ErrNoObjectsFound {
		return nil, fmt.Errorf("%w: list %s: %v", ErrNATS, bucket, err)
	}
	var files []string
	for _, info := range infos {
		rel, ok := strings.CutPrefix(info.Name, id+"/")
		if !ok {
			continue
		}
		dst := filepath.Join(dir, id, filepath.FromSlash(rel))
		if !strings.HasPrefix(dst, filepath.Join(dir, id)+string(filepath.Separator)) {
			return files, fmt.Errorf("%w: object %s would land outside %s", ErrOutput, info.Name, dir)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return files, fmt.Errorf("%w: %v", ErrOutput, err)
		}
		if err := obs.GetFile(ctx, info.Name, dst); err != nil {
			return files, fmt.Errorf("%w: fetch %s: %v", ErrOutput, info.Name, err)
		}
		files = append(files, dst)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no outputs of job %s in bucket %s (not done yet, or stored in a shared folder)", ErrOutput, id, bucket)
	}
	return files, nil
}
