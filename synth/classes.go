package synth

// Cityscapes train ids (the 19 evaluation classes) and the two special labels.
const (
	Road uint8 = iota
	Sidewalk
	Building
	Wall
	Fence
	Pole
	TrafficLight
	TrafficSign
	Vegetation
	Terrain
	Sky
	Person
	Rider
	Car
	Truck
	Bus
	Train
	Motorcycle
	Bicycle
	// NumClasses is the number of train ids, 19.
	NumClasses = 19
	// Anomaly is the ground-truth label of anomaly (and pasted proxy) pixels.
	Anomaly uint8 = 254
	// Ignore is the ground-truth label of pixels never scored (the ego hood).
	Ignore uint8 = 255
)

// ClassNames are the Cityscapes train-id names, indexed by train id.
var ClassNames = [NumClasses]string{
	"road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
	"vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
	"motorcycle", "bicycle",
}

type rgb struct{ r, g, b uint8 }

// Class colour signatures. Each class keeps a distinct chromaticity (hue/saturation)
// so a small local network separates them under ±20% lighting; textures add a second
// cue. All are far from the fully saturated hues that anomalies use.
var (
	colRoad        = rgb{104, 104, 108}
	colLaneMark    = rgb{214, 214, 206}
	colSidewalk    = rgb{188, 174, 150}
	colSeam        = rgb{156, 144, 124}
	colCurb        = rgb{206, 200, 188}
	colBuilding    = rgb{146, 86, 66}
	colWindow      = rgb{92, 56, 50}
	colWall        = rgb{118, 132, 162}
	colWallSeam    = rgb{92, 104, 130}
	colFence       = rgb{100, 128, 112}
	colFenceGap    = rgb{60, 78, 68}
	colPole        = rgb{52, 54, 70}
	colLightBox    = rgb{26, 26, 30}
	colLampRed     = rgb{206, 42, 30}
	colLampGreen   = rgb{40, 184, 104}
	colSignFace    = rgb{236, 236, 230}
	colSignRim     = rgb{186, 32, 34}
	colVeg         = rgb{56, 116, 40}
	colVegDark     = rgb{34, 82, 26}
	colTerrain     = rgb{142, 136, 80}
	colSkyTop      = rgb{104, 152, 222}
	colSkyHorizon  = rgb{196, 212, 236}
	colCloud       = rgb{228, 234, 244}
	colPerson      = rgb{122, 70, 132}
	colPersonLegs  = rgb{78, 52, 92}
	colSkin        = rgb{206, 164, 136}
	colRider       = rgb{44, 126, 142}
	colRiderLegs   = rgb{30, 80, 90}
	colTruck       = rgb{30, 92, 80}
	colBus         = rgb{218, 166, 178}
	colBusWindow   = rgb{72, 42, 62}
	colTrain       = rgb{138, 196, 188}
	colTrainBand   = rgb{40, 96, 100}
	colTrainWindow = rgb{34, 66, 70}
	colMotorcycle  = rgb{92, 22, 122}
	colBicycle     = rgb{168, 148, 210}
	colHood        = rgb{34, 38, 46}
)

// carColours is the small fixed palette of car bodies (red, blue, wine).
var carColours = [...]rgb{{172, 30, 36}, {36, 56, 162}, {112, 26, 62}}

func (c rgb) scale(f float64) rgb {
	return rgb{clamp8(float64(c.r) * f), clamp8(float64(c.g) * f), clamp8(float64(c.b) * f)}
}

func lerpRGB(a, b rgb, t float64) rgb {
	return rgb{
		clamp8(float64(a.r) + (float64(b.r)-float64(a.r))*t),
		clamp8(float64(a.g) + (float64(b.g)-float64(a.g))*t),
		clamp8(float64(a.b) + (float64(b.b)-float64(a.b))*t),
	}
}

func clamp8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v + 0.5)
}

func clampI(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
