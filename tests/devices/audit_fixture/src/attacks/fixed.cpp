// Input of Devices.AuditFindsAFixedDevice: line 4 creates a tensor on the CPU whatever x's device.
torch::Tensor follows(const torch::Tensor& x) { return torch::zeros({2}, x.options()); }
// the next line is the one the audit must find
torch::Tensor found(const torch::Tensor& x) { return x + torch::ones({2}, torch::kFloat32); }
torch::Tensor marked() { return torch::ones({2}); }  // cpu: marked on its line
