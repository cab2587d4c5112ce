package fleet

import (
	"errors"
	"testing"
)

// FuzzParseJob: any job message is either a valid job or an ErrJob, never a panic.
func FuzzParseJob(f *testing.F) {
	f.Add([]byte(`{"format":"metaood-job","version":1,"id":"a","source":"synth","output":{"bucket":"b"},"settings":{"frames":3}}`))
	f.Add([]byte(`{"format":"metaood-job","version":1,"id":"a","source":"/x.mp4","output":{"dir":"/o"},"settings":{"segment":"1m","roi":"0,0;1,0;1,1"}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := ParseJob(b)
		if err != nil && !errors.Is(err, ErrJob) {
			t.Fatalf("error %v does not wrap ErrJob", err)
		}
		if err == nil && CheckID("job id", j.ID) != nil {
			t.Fatalf("accepted job with id %q", j.ID)
		}
	})
}

// FuzzParseManifest: any manifest is jobs that validate or an ErrJob, never a panic.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte("defaults:\n  settings: {frames: 5}\njobs:\n  - source: synth\n  - source: a.mp4\n    id: x\n"))
	f.Add([]byte("jobs: [{source: synth, output: {dir: out}}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		jobs, err := ParseManifest(b, "/base", Output{Bucket: DefaultBucket})
		if err != nil && !errors.Is(err, ErrJob) {
			t.Fatalf("error %v does not wrap ErrJob", err)
		}
		for _, j := range jobs {
			if err := j.Validate(); err != nil {
				t.Fatalf("manifest job invalid: %v", err)
			}
		}
	})
}
